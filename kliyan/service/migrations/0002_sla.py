# SLA policies, due-time bookkeeping on tickets and the once-only SLA notices (issue 4).

import django.db.models.deletion
import django.utils.timezone
import kliyan.service.models
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('service', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='ticket',
            name='first_response_business_seconds',
            field=models.PositiveBigIntegerField(blank=True, null=True, verbose_name='business time to first response (s)'),
        ),
        migrations.AddField(
            model_name='ticket',
            name='first_response_warn_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='first response warning at'),
        ),
        migrations.AddField(
            model_name='ticket',
            name='resolution_business_seconds',
            field=models.PositiveBigIntegerField(blank=True, null=True, verbose_name='business time to resolution (s)'),
        ),
        migrations.AddField(
            model_name='ticket',
            name='resolution_warn_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='resolution warning at'),
        ),
        migrations.AlterField(
            model_name='ticketevent',
            name='kind',
            field=models.CharField(choices=[('created', 'Created'), ('status', 'Status'), ('assignee', 'Assignee'), ('team', 'Team'), ('priority', 'Priority'), ('category', 'Category'), ('product', 'Product'), ('kind', 'Type'), ('subject', 'Subject'), ('customer_message', 'Customer wrote'), ('reply', 'Reply sent'), ('note', 'Internal note'), ('attachment', 'Attachment'), ('sla_policy', 'SLA policy'), ('sla_warning', 'SLA warning'), ('sla_breach', 'SLA breached')], max_length=20, verbose_name='what'),
        ),
        migrations.CreateModel(
            name='SLAEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('target', models.CharField(choices=[('first_response', 'First response'), ('resolution', 'Resolution')], max_length=20, verbose_name='target')),
                ('kind', models.CharField(choices=[('warning', 'Warning'), ('breach', 'Breach')], max_length=10, verbose_name='type')),
                ('due', models.DateTimeField(blank=True, null=True, verbose_name='due')),
                ('at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='when')),
                ('notified_at', models.DateTimeField(blank=True, null=True, verbose_name='notified at')),
                ('ticket', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='sla_events', to='service.ticket', verbose_name='ticket')),
            ],
            options={
                'verbose_name': 'SLA event',
                'verbose_name_plural': 'SLA events',
                'ordering': ['at', 'id'],
            },
        ),
        migrations.CreateModel(
            name='SLAPolicy',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=120, verbose_name='name')),
                ('priority', models.CharField(blank=True, choices=[('low', 'Low'), ('normal', 'Normal'), ('high', 'High'), ('urgent', 'Urgent')], max_length=10, verbose_name='priority')),
                ('is_default', models.BooleanField(default=False, verbose_name='default policy')),
                ('first_response_within', models.DurationField(verbose_name='first response within')),
                ('resolution_within', models.DurationField(verbose_name='resolution within')),
                ('calendar', models.JSONField(default=kliyan.service.models.default_calendar, verbose_name='business hours')),
                ('warn_at_percent', models.PositiveSmallIntegerField(blank=True, null=True, verbose_name='warn when this share is used (%)')),
                ('warn_minutes_before', models.PositiveIntegerField(blank=True, null=True, verbose_name='warn this many business minutes before')),
                ('active', models.BooleanField(default=True, verbose_name='active')),
                ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='created at')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='updated at')),
                ('category', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='sla_policies', to='service.ticketcategory', verbose_name='category')),
            ],
            options={
                'verbose_name': 'SLA policy',
                'verbose_name_plural': 'SLA policies',
                'ordering': ['-is_default', 'name', 'id'],
            },
        ),
        migrations.AddField(
            model_name='ticket',
            name='sla_policy',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='tickets', to='service.slapolicy', verbose_name='SLA policy'),
        ),
        # The queue reads unresolved tickets through partial indexes (see Ticket.Meta), which
        # replace the single-column due-time indexes of 0001.
        migrations.RemoveIndex(model_name='ticket', name='ticket_first_due_idx'),
        migrations.RemoveIndex(model_name='ticket', name='ticket_resolution_due_idx'),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('status__in', ['new', 'open', 'waiting', 'reopened'])), fields=['assignee', 'created_at', 'id'], name='ticket_open_assignee_idx'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('status__in', ['new', 'open', 'waiting', 'reopened'])), fields=['team', 'created_at', 'id'], name='ticket_open_team_idx'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(condition=models.Q(('status__in', ['new', 'open', 'waiting', 'reopened'])), fields=['created_at', 'id', 'status', 'assignee', 'team', 'first_response_due', 'first_responded_at', 'resolution_due', 'first_response_warn_at', 'resolution_warn_at'], name='ticket_open_sla_idx'),
        ),
        migrations.AddIndex(
            model_name='ticket',
            index=models.Index(fields=['created_at', 'id'], name='ticket_created_idx'),
        ),
        migrations.AddConstraint(
            model_name='slaevent',
            constraint=models.UniqueConstraint(fields=('ticket', 'target', 'kind'), name='slaevent_once'),
        ),
        migrations.AddConstraint(
            model_name='slapolicy',
            constraint=models.UniqueConstraint(condition=models.Q(('is_default', True)), fields=('is_default',), name='slapolicy_one_default'),
        ),
    ]
