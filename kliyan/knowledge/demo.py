"""Demo articles: returns, delivery times, paying by MonCash or mobile money, a staff-only refund guide.

Written through the services, as an editor and a manager would: the history, the audit
log and the search index are filled the real way. English, French and Haitian Creole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kliyan.knowledge.models import Article, ArticleTranslation
from kliyan.knowledge.services import article_create, translation_publish, translation_save


@dataclass(frozen=True)
class DemoArticle:
    category: str
    tags: tuple[str, ...]
    # (language, slug, title, body); the first one creates the article.
    texts: tuple[tuple[str, str, str, str], ...]
    publish: tuple[str, ...] = ()
    internal: bool = False
    # Earlier English text, saved first, so the history has something to show.
    earlier: str = ""


RETURNS_EN = """You can return or exchange an item within **14 days** of buying it, in the shop or by post.

To return an item:
- keep it unused, in its original packaging, with its labels;
- bring the receipt, or give us the order number (it is on your SMS or WhatsApp confirmation);
- phones and electronic accessories must come back with everything that was in the box.

We cannot take back opened perfume, cosmetics, underwear or airtime cards.

## Faulty items
If an item is faulty, we repair it, replace it or refund it, even after 14 days, for as long as its guarantee runs (12 months for phones, 6 months for accessories).

## Your refund
We refund the way you paid (cash, MonCash, mobile money or card) within **5 working days** of receiving the item. If you prefer, we can give you a store credit instead.

Sending it back by post? It takes as long as a delivery: see [Delivery times](/kb/en/delivery-times/). Questions? Write to us on WhatsApp with your order number."""

RETURNS_FR = """Vous pouvez retourner ou échanger un article dans les **14 jours** suivant l'achat, en magasin ou par la poste.

Pour retourner un article :
- il doit être neuf, dans son emballage d'origine, avec ses étiquettes ;
- apportez le ticket de caisse, ou donnez-nous le numéro de commande (il figure sur votre confirmation par SMS ou WhatsApp) ;
- les téléphones et accessoires électroniques doivent revenir avec tout le contenu de la boîte.

Nous ne reprenons pas les parfums ouverts, les cosmétiques, les sous-vêtements ni les cartes de recharge.

## Articles défectueux
Si un article est défectueux, nous le réparons, l'échangeons ou le remboursons, même après 14 jours, tant qu'il est sous garantie (12 mois pour les téléphones, 6 mois pour les accessoires).

## Votre remboursement
Nous remboursons par le moyen de paiement utilisé (espèces, MonCash, mobile money ou carte) sous **5 jours ouvrés** après réception de l'article. Si vous préférez, nous pouvons aussi vous faire un avoir.

Un renvoi par la poste prend le même temps qu'une livraison : voyez les [délais de livraison](/kb/fr/delais-de-livraison/). Une question ? Écrivez-nous sur WhatsApp avec votre numéro de commande."""

RETURNS_HT = """Ou ka retounen oswa chanje yon atik nan **14 jou** apre ou fin achte l, nan magazen an oswa pa lapòs.

Pou w retounen yon atik:
- li dwe nèf, nan anbalaj li te vini an, ak etikèt li yo;
- pote resi a, oswa ban nou nimewo kòmand lan (li sou mesaj SMS oswa WhatsApp konfimasyon an);
- telefòn ak akseswa elektwonik dwe tounen ak tout sa ki te nan bwat la.

Nou pa reprann pafen ki louvri, pwodui kosmetik, sou-vètman ni kat minit.

## Atik ki gen defo
Si yon atik gen defo, nou repare l, nou chanje l oswa nou renmèt ou lajan w, menm apre 14 jou, toutotan li sou garanti (12 mwa pou telefòn, 6 mwa pou akseswa).

## Lè n ap renmèt ou lajan w
Nou renmèt lajan an menm jan ou te peye a (kach, MonCash, mobile money oswa kat) nan **5 jou travay** apre nou resevwa atik la. Si ou pito, nou ka ba ou yon kredi nan magazen an olye de sa.

Si w ap voye l pa lapòs, li pran menm tan ak yon livrezon: gade [delè livrezon](/kb/ht/dele-livrezon/) yo. Ou gen yon kesyon? Ekri nou sou WhatsApp ak nimewo kòmand ou."""

DELIVERY_EN_EARLIER = """We deliver everywhere in the country. Orders placed before **noon** (Monday to Friday) leave the shop the same day.

- **The capital and nearby towns:** 1 to 2 working days.
- **Other large towns:** 2 to 4 working days.
- **Rural areas:** 4 to 7 working days, depending on the roads."""

DELIVERY_EN = """We deliver everywhere in the country. Orders placed before **2 pm** (Monday to Saturday) leave the shop the same day.

- **The capital and nearby towns:** 1 to 2 working days.
- **Other large towns:** 2 to 4 working days.
- **Rural areas:** 4 to 7 working days, depending on the roads.

When your order leaves, we send you an SMS or a WhatsApp message with the name and phone number of the driver, or the parcel number.

The delivery price depends on where you live; we tell you before you confirm the order.

## Not arrived?
If your order has not arrived after these times, call us or write to us on WhatsApp with your order number: we find out where it is and answer you the same day."""

DELIVERY_FR = """Nous livrons partout dans le pays. Les commandes passées avant **14 h** (du lundi au samedi) quittent le magasin le jour même.

- **La capitale et les villes voisines :** 1 à 2 jours ouvrés.
- **Les autres grandes villes :** 2 à 4 jours ouvrés.
- **Les zones rurales :** 4 à 7 jours ouvrés, selon l'état des routes.

Quand votre commande part, nous vous envoyons un SMS ou un message WhatsApp avec le nom et le numéro du livreur, ou le numéro du colis.

Le prix de la livraison dépend de votre zone ; nous vous l'indiquons avant que vous confirmiez la commande.

## Colis pas arrivé ?
Si votre commande n'est pas arrivée dans ces délais, appelez-nous ou écrivez-nous sur WhatsApp avec votre numéro de commande : nous cherchons où elle se trouve et vous répondons le jour même."""

DELIVERY_HT = """Nou livre toupatou nan peyi a. Kòmand ou pase anvan **2è apremidi** (lendi rive samdi) soti nan magazen an menm jou a.

- **Kapital la ak vil ki toupre yo:** 1 a 2 jou travay.
- **Lòt gwo vil yo:** 2 a 4 jou travay.
- **Zòn andeyò yo:** 4 a 7 jou travay, selon eta wout yo.

Lè kòmand ou an soti, n ap voye yon SMS oswa yon mesaj WhatsApp ba ou ak non ak nimewo telefòn livrè a, oswa nimewo koli a.

Pri livrezon an depann de kote w rete; n ap di w li anvan ou konfime kòmand lan.

## Koli a poko rive?
Si kòmand ou an poko rive apre delè sa yo, rele nou oswa ekri nou sou WhatsApp ak nimewo kòmand ou: n ap chèche konnen kote l ye epi n ap reponn ou menm jou a."""

PAY_EN = """You can pay for your order by mobile money, without coming to the shop: **MonCash** and **NatCash** in Haiti, **Airtel Money** and **TNM Mpamba** in Malawi.

## With MonCash
1. Dial *202# on your Digicel phone, or open the MonCash app.
2. Choose **Pay merchant**.
3. Enter our merchant number, printed on your order confirmation, and the amount to pay.
4. Put your **order number** in the note, so we can match the payment.
5. Confirm with your PIN. You receive an SMS with a transaction number.

## With another mobile money service
Send the amount to our number shown on the order confirmation, with your order number as the reference, then confirm with your PIN.

## After paying
Send us the transaction number on WhatsApp, or show the SMS at the counter. Your order is confirmed as soon as we see the payment, usually within minutes.

Never give your PIN to anyone, even someone who says they work for us: we will never ask for it."""

PAY_FR = """Vous pouvez payer votre commande par mobile money sans passer au magasin : **MonCash** et **NatCash** en Haïti, **Airtel Money** et **TNM Mpamba** au Malawi.

## Avec MonCash
1. Composez *202# sur votre téléphone Digicel, ou ouvrez l'application MonCash.
2. Choisissez **Payer un marchand**.
3. Saisissez notre numéro marchand, indiqué sur la confirmation de commande, et le montant à payer.
4. Indiquez votre **numéro de commande** dans la note, pour que nous retrouvions le paiement.
5. Confirmez avec votre code PIN. Vous recevez un SMS avec un numéro de transaction.

## Avec un autre service de mobile money
Envoyez le montant à notre numéro indiqué sur la confirmation de commande, avec votre numéro de commande comme référence, puis confirmez avec votre code PIN.

## Après le paiement
Envoyez-nous le numéro de transaction sur WhatsApp, ou montrez le SMS en caisse. Votre commande est confirmée dès que nous voyons le paiement, en général en quelques minutes.

Ne donnez jamais votre code PIN à personne, même à quelqu'un qui dit travailler pour nous : nous ne vous le demanderons jamais."""

PAY_HT = """Ou ka peye kòmand ou ak mobile money san ou pa bezwen vini nan magazen an: **MonCash** ak **NatCash** ann Ayiti, **Airtel Money** ak **TNM Mpamba** nan Malawi.

## Ak MonCash
1. Konpoze *202# sou telefòn Digicel ou, oswa louvri aplikasyon MonCash la.
2. Chwazi **Peye machann**.
3. Mete nimewo machann nou an, ki ekri sou konfimasyon kòmand lan, ak kòb ou dwe peye a.
4. Mete **nimewo kòmand** ou nan nòt la, pou nou ka jwenn peman an.
5. Konfime ak kòd PIN ou. W ap resevwa yon SMS ak yon nimewo tranzaksyon.

## Ak yon lòt sèvis mobile money
Voye kòb la sou nimewo nou ki ekri sou konfimasyon kòmand lan, mete nimewo kòmand ou kòm referans, epi konfime ak kòd PIN ou.

## Apre ou fin peye
Voye nimewo tranzaksyon an ba nou sou WhatsApp, oswa montre SMS la nan kès la. Kòmand ou konfime depi nou wè peman an, anjeneral nan kèk minit.

Pa janm bay pèsonn kòd PIN ou, menm yon moun ki di l ap travay pou nou: nou p ap janm mande w li."""

REFUND_STAFF_EN = """For agents and shop staff only; customers read the public “Returns and exchanges” article.

1. Find the order: search the customer by phone number, open their orders, check the date (14 days) and what was bought.
2. Check the item: unused, complete, labels on. A faulty item is refunded under guarantee, whatever the date.
3. Refund the way the customer paid. A cash refund above the till's limit needs a manager.
4. For MonCash or mobile money, send the refund from the shop's merchant account and write the transaction number in the order note.
5. Log the visit on the customer's timeline (channel **Store visit**, outcome **Resolved**), so the next agent sees it.

Refusing a return? Say why, and offer an exchange or a store credit when you can."""

REFUND_STAFF_FR = """Réservé aux agents et au personnel du magasin ; les clients lisent l'article public « Retours et échanges ».

1. Retrouvez la commande : cherchez le client par son numéro de téléphone, ouvrez ses commandes, vérifiez la date (14 jours) et ce qui a été acheté.
2. Vérifiez l'article : neuf, complet, étiquettes en place. Un article défectueux est remboursé sous garantie, quelle que soit la date.
3. Remboursez par le moyen de paiement utilisé. Un remboursement en espèces au-delà du plafond de la caisse demande l'accord d'un responsable.
4. Pour MonCash ou le mobile money, envoyez le remboursement depuis le compte marchand du magasin et notez le numéro de transaction dans la note de la commande.
5. Enregistrez la visite sur la fiche du client (canal **Visite en magasin**, résultat **Résolu**), pour que le prochain agent la voie.

Vous refusez un retour ? Expliquez pourquoi, et proposez un échange ou un avoir quand c'est possible."""

HOLIDAYS_EN = """We are open from 9 am to 1 pm on most public holidays, and closed on 1 January and 25 December.

Before each holiday we post the opening hours on WhatsApp and on the shop door."""

ARTICLES: tuple[DemoArticle, ...] = (
    DemoArticle(
        category="Orders and returns", tags=("returns", "refunds", "guarantee"),
        texts=(
            ("en", "returns-and-exchanges", "Returns and exchanges", RETURNS_EN),
            ("fr", "retours-et-echanges", "Retours et échanges", RETURNS_FR),
            ("ht", "retou-ak-echanj", "Retou ak echanj", RETURNS_HT),
        ),
        publish=("en", "fr", "ht"),
    ),
    DemoArticle(
        category="Delivery", tags=("delivery", "shipping"),
        texts=(
            ("en", "delivery-times", "Delivery times", DELIVERY_EN),
            ("fr", "delais-de-livraison", "Délais de livraison", DELIVERY_FR),
            ("ht", "dele-livrezon", "Delè livrezon", DELIVERY_HT),
        ),
        publish=("en", "fr", "ht"), earlier=DELIVERY_EN_EARLIER,
    ),
    DemoArticle(
        category="Payments", tags=("moncash", "mobile money", "payments"),
        texts=(
            ("en", "pay-with-moncash-or-mobile-money", "Paying with MonCash or mobile money", PAY_EN),
            ("fr", "payer-avec-moncash-ou-mobile-money", "Payer avec MonCash ou le mobile money", PAY_FR),
            ("ht", "peye-ak-moncash-oswa-mobile-money", "Kijan pou w peye ak MonCash oswa mobile money", PAY_HT),
        ),
        publish=("en", "fr", "ht"),
    ),
    DemoArticle(
        category="Orders and returns", tags=("refunds", "moncash"), internal=True,
        texts=(
            ("en", "refunds-at-the-counter", "Refunds at the counter (staff)", REFUND_STAFF_EN),
            ("fr", "remboursements-en-caisse", "Remboursements en caisse (personnel)", REFUND_STAFF_FR),
        ),
        publish=("en", "fr"),
    ),
    DemoArticle(
        category="Opening hours", tags=("opening hours",),
        texts=(("en", "opening-hours-on-public-holidays", "Opening hours on public holidays", HOLIDAYS_EN),),
    ),
)


def load_demo_knowledge(*, actor: Any) -> int:
    """Write the demo articles once (nothing if they are there already); return how many were written."""
    first_slug = ARTICLES[0].texts[0][1]
    if ArticleTranslation.objects.filter(language="en", slug=first_slug).exists():
        return 0
    for spec in ARTICLES:
        language, slug, title, body = spec.texts[0]
        article: Article = article_create(actor=actor, data={
            "language": language, "slug": slug, "title": title, "body": spec.earlier or body,
            "category": spec.category, "tags": list(spec.tags), "internal": spec.internal,
        })
        if spec.earlier:
            translation_save(actor=actor, article=article, language=language, data={"title": title, "slug": slug, "body": body})
        for language, slug, title, body in spec.texts[1:]:
            translation_save(actor=actor, article=article, language=language, data={"title": title, "slug": slug, "body": body})
        for translation in article.translations.filter(language__in=spec.publish):
            translation_publish(actor=actor, translation=translation)
    return len(ARTICLES)
