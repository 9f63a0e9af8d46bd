from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    name = "kliyan.feedback"
    label = "feedback"
    verbose_name = _("Customer feedback")

    def ready(self) -> None:
        from kliyan.core.events import declare_event, subscribe
        from kliyan.feedback import registrations, service_report
        from kliyan.feedback.csat import on_event

        declare_event("survey.answered", _("Survey answered"))
        subscribe(on_event)  # a CSAT invitation follows each ticket's first resolution
        registrations.register()  # timeline sources, contact panel, ticket panel, screen-pop section
        service_report.register()  # the CSAT part of /service/reports/
