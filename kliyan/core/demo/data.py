"""What the demo is made of: real names, towns, streets and everyday questions per country.

Questions and answers are in each country's language, as a shop there would write them.
This is sample data, not interface text, so none of it is marked for translation.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Town:
    name: str
    region: str
    postal_code: str


@dataclass(frozen=True)
class CountryData:
    code: str
    languages: tuple[str, ...]  # the first is the most common
    email_domain: str
    # Mobile prefixes after the country code; the rest of the number is random digits.
    mobile_prefixes: tuple[str, ...]
    subscriber_digits: int
    first_names: tuple[str, ...]
    last_names: tuple[str, ...]
    towns: tuple[Town, ...]
    streets: tuple[str, ...]
    companies: tuple[tuple[str, str], ...]  # (name, industry)
    conversations: tuple[tuple[str, str], ...]  # (question, answer)
    task_titles: tuple[str, ...]
    notes: tuple[str, ...]


HAITI = CountryData(
    code="HT",
    languages=("ht", "fr"),
    email_domain="ayiti.example",
    mobile_prefixes=("+509 31", "+509 34", "+509 36", "+509 37", "+509 38", "+509 42", "+509 46", "+509 48"),
    subscriber_digits=6,
    first_names=(
        "Jean-Baptiste", "Mirlande", "Wideline", "Jean-Robert", "Fabienne", "Ricardo", "Nadège", "Wilner",
        "Guerline", "Jean-Claude", "Marie-Ange", "Dieudonné", "Roseline", "Lovensky", "Stéphanie", "Frantz",
        "Esther", "Woodly", "Mackenson", "Jésula", "Darline", "Kervens",
    ),
    last_names=(
        "Pierre", "Jean-Louis", "Joseph", "Charles", "Étienne", "Saint-Fleur", "Dorvil", "Désir", "Baptiste",
        "Louis-Jeune", "Alexis", "Célestin", "Augustin", "Thélusma", "Noël", "Métellus", "Moïse", "Exantus",
    ),
    towns=(
        Town("Port-au-Prince", "Ouest", "HT6110"), Town("Cap-Haïtien", "Nord", "HT1110"),
        Town("Pétion-Ville", "Ouest", "HT6140"), Town("Les Cayes", "Sud", "HT8110"),
        Town("Gonaïves", "Artibonite", "HT4110"), Town("Jacmel", "Sud-Est", "HT9110"),
        Town("Saint-Marc", "Artibonite", "HT4310"), Town("Jérémie", "Grand'Anse", "HT7110"),
    ),
    streets=(
        "Rue Capois", "Rue Lamarre", "Avenue John Brown", "Rue Grégoire", "Route de Delmas",
        "Rue 24", "Rue Espagnole", "Boulevard du 15 Octobre", "Rue Geffrard", "Avenue Christophe",
    ),
    companies=(
        ("Boutik Lakay", "Retail"), ("Boulangerie Saint-Marc", "Bakery"), ("Quincaillerie Dorvil", "Hardware"),
        ("Atelier Jacmel Art", "Crafts"), ("Kafe Ayisyen Dépôt", "Coffee"), ("Pharmacie du Cap", "Pharmacy"),
        ("Transport Kapwa", "Transport"), ("Ti Mache Pétion-Ville", "Groceries"),
    ),
    conversations=(
        ("Èske nou gen soulye sa a nan gwosè 40?", "Wi, nou genyen l an nwa ak mawon. M ka mete youn sou kote pou ou."),
        ("Ki lè magazen an ouvri jodi a?", "Nou ouvri depi 8è rive 6è diswa, lendi rive samdi."),
        ("Konbyen kòb pou livrezon nan Delmas?", "Livrezon an koute 250 goud, li rive nan 2 jou."),
        ("Kòmand mwen an poko rive, kisa k pase?", "Mwen tcheke: li nan kamyon an, l ap rive demen maten."),
        ("Èske m ka peye ak MonCash?", "Wi, nou aksepte MonCash ak NatCash."),
        ("Mwen vle chanje rad mwen te achte a, li twò piti.", "Pa gen pwoblèm, pote l ak resi a nan 15 jou."),
        ("Èske nou gen pwomosyon pou fèt Manman?", "Wi, 15% rabè sou tout pafen yo semèn sa a."),
        ("Èske ou ka voye pri yo ban mwen sou WhatsApp?", "M voye lis pri a ba ou kounye a."),
    ),
    task_titles=(
        "Rele kliyan an pou konfime livrezon an", "Voye lis pri a sou WhatsApp",
        "Mete soulye a sou kote pou li", "Voye fakti a",
    ),
    notes=("Li prefere nou rele l apre 5è diswa.", "Kliyan fidèl depi 2019, toujou peye kach."),
)

MALAWI = CountryData(
    code="MW",
    languages=("ny", "en"),
    email_domain="malawi.example",
    mobile_prefixes=("+265 88", "+265 99", "+265 98"),
    subscriber_digits=7,
    first_names=(
        "Chikondi", "Thokozani", "Chisomo", "Tiyamike", "Kondwani", "Mphatso", "Madalitso", "Yamikani",
        "Limbani", "Takondwa", "Tadala", "Dalitso", "Chimwemwe", "Pemphero", "Kettie", "Mercy", "Blessings",
        "Esnart", "Grace", "Mavuto",
    ),
    last_names=(
        "Banda", "Phiri", "Mwale", "Chirwa", "Nyirenda", "Kumwenda", "Mhango", "Gondwe", "Tembo", "Mbewe",
        "Kachingwe", "Msiska", "Chisale", "Kalua", "Chimwaza", "Mkandawire", "Ngwira", "Zulu",
    ),
    towns=(
        Town("Lilongwe", "Central Region", ""), Town("Blantyre", "Southern Region", ""),
        Town("Mzuzu", "Northern Region", ""), Town("Zomba", "Southern Region", ""),
        Town("Kasungu", "Central Region", ""), Town("Mangochi", "Southern Region", ""),
        Town("Salima", "Central Region", ""), Town("Karonga", "Northern Region", ""),
    ),
    streets=(
        "Kamuzu Procession Road", "Glyn Jones Road", "Victoria Avenue", "Presidential Way", "Chilambula Road",
        "Haile Selassie Road", "Paul Kagame Road", "M'mbelwa Road", "Area 47, Sector 3", "Area 25",
    ),
    companies=(
        ("Chikondi Grocers", "Groceries"), ("Lilongwe Agro Supplies", "Agriculture"),
        ("Mzuzu Coffee Growers", "Coffee"), ("Blantyre Hardware", "Hardware"), ("Nyasa Tailoring", "Clothing"),
        ("Zomba Textiles", "Clothing"), ("Lake Malawi Fish Traders", "Food"), ("Kasungu Tobacco Co-op", "Agriculture"),
    ),
    conversations=(
        ("Kodi muli ndi nsapato izi za saizi 8?", "Inde, tili nazo zakuda ndi zofiirira. Ndikusungirani imodzi."),
        ("Kodi sitolo imatsegulidwa nthawi yanji?", "Timatsegula 7 koloko m'mawa mpaka 5 koloko madzulo."),
        ("Katundu wanga sanafike, chachitika ndi chiyani?", "Ndafufuza: ali panjira, afika mawa m'mawa."),
        ("Kodi ndingalipire ndi Airtel Money?", "Inde, timalandira Airtel Money ndi TNM Mpamba."),
        ("Mtengo wa feteleza ndi zingati?", "Thumba la 50 kg ndi K45,000 sabata ino."),
        ("Ndikufuna kusintha malaya, ndi aang'ono.", "Palibe vuto, bweretsani pamodzi ndi risiti m'masiku 14."),
        ("Kodi mumatumiza katundu ku Mzuzu?", "Inde, timatumiza Lachiwiri lililonse."),
        ("Do you deliver to Zomba?", "Yes, every Thursday; delivery is K5,000."),
    ),
    task_titles=(
        "Imbirani kasitomala kuti mutsimikize", "Tumizani mitengo pa WhatsApp",
        "Sungani thumba la feteleza", "Send the invoice",
    ),
    notes=("Amakonda kulankhula Chichewa pa foni.", "Buys fertiliser every September before the rains."),
)

ALBANIA = CountryData(
    code="AL",
    languages=("sq",),
    email_domain="shqiperia.example",
    mobile_prefixes=("+355 67", "+355 68", "+355 69"),
    subscriber_digits=7,
    first_names=(
        "Arbër", "Ëngjëll", "Besa", "Erion", "Elira", "Blerina", "Dritan", "Fatjon", "Jonida", "Klodian",
        "Mirela", "Ornela", "Gëzim", "Valbona", "Altin", "Anila", "Ardit", "Etleva", "Lindita", "Skënder",
        "Zana", "Flutura",
    ),
    last_names=(
        "Hoxha", "Shehu", "Leka", "Gjoka", "Dervishi", "Kola", "Marku", "Prifti", "Çela", "Basha", "Hysa",
        "Kuçi", "Lika", "Dema", "Brahimi", "Zeqiri", "Xhafa", "Duka",
    ),
    towns=(
        Town("Tirana", "Tiranë", "1001"), Town("Durrës", "Durrës", "2001"), Town("Shkodër", "Shkodër", "4001"),
        Town("Vlorë", "Vlorë", "9401"), Town("Elbasan", "Elbasan", "3001"), Town("Korçë", "Korçë", "7001"),
        Town("Berat", "Berat", "5001"), Town("Sarandë", "Vlorë", "9701"),
    ),
    streets=(
        "Rruga e Kavajës", "Bulevardi Dëshmorët e Kombit", "Rruga Myslym Shyri", "Rruga Ismail Qemali",
        "Rruga e Durrësit", "Rruga Sami Frashëri", "Bulevardi Zogu I", "Rruga Taulantia",
    ),
    companies=(
        ("Dyqani Arbëri", "Retail"), ("Furra e Durrësit", "Bakery"), ("Agro Korça", "Agriculture"),
        ("Hotel Vlora Blu", "Hospitality"), ("Ndërtimi Shkodra", "Construction"), ("Ëmbëlsira Tirana", "Bakery"),
        ("Vreshtat e Beratit", "Wine"), ("Teksti Elbasan", "Clothing"),
    ),
    conversations=(
        ("A e keni këtë model në numrin 40?", "Po, e kemi në të zezë dhe në kafe. Po jua ruaj një palë."),
        ("Në çfarë ore hapet dyqani të shtunën?", "Jemi hapur nga ora 9 deri në 20."),
        ("Porosia ime nuk ka ardhur ende.", "E kontrollova: pakoja është në rrugë dhe arrin nesër."),
        ("A mund të paguaj me kartë?", "Po, pranojmë kartë dhe para në dorë."),
        ("Dua ta ndërroj këmishën, është e vogël.", "S’ka problem, sillni faturën brenda 14 ditëve."),
        ("A bëni dërgesa në Durrës?", "Po, dërgesa është falas për porosi mbi 5000 lekë."),
        ("Kur vijnë produktet e reja?", "Koleksioni i ri arrin të hënën, do t’ju lajmërojmë."),
        ("Më dërgoni një ofertë me email, ju lutem.", "Oferta do t’ju dërgohet sot pasdite."),
    ),
    task_titles=(
        "Telefononi klientin për konfirmim", "Dërgoni ofertën me email",
        "Ruani një palë këpucë për klientin", "Dërgoni faturën",
    ),
    notes=("Preferon të telefonohet pas orës 17.", "Klient besnik, blen çdo muaj për dyqanin e vet."),
)

ROMANIA = CountryData(
    code="RO",
    languages=("ro",),
    email_domain="romania.example",
    mobile_prefixes=("+40 72", "+40 73", "+40 74", "+40 75", "+40 76", "+40 78"),
    subscriber_digits=7,
    first_names=(
        "Ștefan", "Ioana", "Andrei", "Mihaela", "Alexandru", "Elena", "Răzvan", "Cristina", "Bogdan",
        "Ana-Maria", "Mihai", "Irina", "Ionuț", "Gabriela", "Vlad", "Alina", "Sorin", "Loredana", "Tudor",
        "Oana", "Florin", "Bianca",
    ),
    last_names=(
        "Popescu", "Ionescu", "Popa", "Dumitrescu", "Stan", "Stoica", "Gheorghe", "Rusu", "Munteanu", "Matei",
        "Constantin", "Șerban", "Ciobanu", "Moldovan", "Lungu", "Nistor", "Tănase", "Bălan", "Mureșan",
    ),
    towns=(
        Town("București", "București", "010011"), Town("Cluj-Napoca", "Cluj", "400001"),
        Town("Iași", "Iași", "700001"), Town("Timișoara", "Timiș", "300001"), Town("Brașov", "Brașov", "500001"),
        Town("Constanța", "Constanța", "900001"), Town("Sibiu", "Sibiu", "550001"), Town("Craiova", "Dolj", "200001"),
    ),
    streets=(
        "Strada Mihai Eminescu", "Bulevardul Unirii", "Calea Victoriei", "Strada Ștefan cel Mare",
        "Strada Republicii", "Bulevardul Revoluției", "Strada Avram Iancu", "Aleea Trandafirilor",
    ),
    companies=(
        ("Brutăria Ștefan", "Bakery"), ("Cluj Tech SRL", "Software"), ("Florăria Ioana", "Florist"),
        ("Transilvania Mobilă", "Furniture"), ("Croitoria Bălan", "Clothing"), ("Pescăria Constanța", "Food"),
        ("Cramele Dealu Mare", "Wine"), ("Farmacia Sibiu", "Pharmacy"),
    ),
    conversations=(
        ("Aveți modelul acesta pe mărimea 38?", "Da, mai avem două perechi în bleumarin. Vă rezerv una?"),
        ("Care este programul de sâmbătă?", "Sâmbăta suntem deschiși între 9 și 18."),
        ("Comanda mea nu a ajuns încă.", "Coletul a plecat ieri; ajunge joi. Vă trimit numărul AWB."),
        ("Pot plăti în rate?", "Da, în trei rate fără dobândă pentru comenzi de peste 500 de lei."),
        ("Aș vrea să schimb o cămașă prea mică.", "Sigur, aduceți-o cu bonul în 30 de zile."),
        ("Livrați și la domiciliu în Cluj-Napoca?", "Da, livrarea este gratuită peste 200 de lei."),
        ("Când primiți produsele noi?", "Colecția nouă sosește luni; vă anunțăm imediat."),
        ("Îmi puteți trimite o ofertă de preț?", "Vă trimit oferta pe e-mail până diseară."),
    ),
    task_titles=(
        "Sunați clientul pentru confirmare", "Trimiteți oferta de preț",
        "Rezervați perechea de pantofi", "Trimiteți factura",
    ),
    notes=("Preferă să fie sunată după ora 17.", "Client fidel, cumpără în fiecare lună pentru magazinul său."),
)

FRANCE = CountryData(
    code="FR",
    languages=("fr",),
    email_domain="france.example",
    mobile_prefixes=("+33 6", "+33 7"),
    subscriber_digits=8,
    first_names=(
        "Céline", "Mathieu", "Élodie", "François", "Hélène", "Jérôme", "Amélie", "Théo", "Chloé", "Gaël",
        "Noémie", "Loïc", "Aurélie", "Benoît", "Maëlle", "Clément", "Inès", "Sébastien", "Léa", "Hugo",
    ),
    last_names=(
        "Martin", "Bernard", "Dubois", "Lefèvre", "Moreau", "Girard", "Fournier", "Lambert", "Rousseau",
        "Chevalier", "Faure", "Gauthier", "Mercier", "Bonnet", "Lemaître", "Bérenger", "Garnier", "Perrin",
    ),
    towns=(
        Town("Lyon", "Auvergne-Rhône-Alpes", "69002"), Town("Marseille", "Provence-Alpes-Côte d'Azur", "13001"),
        Town("Paris", "Île-de-France", "75011"), Town("Bordeaux", "Nouvelle-Aquitaine", "33000"),
        Town("Lille", "Hauts-de-France", "59000"), Town("Nantes", "Pays de la Loire", "44000"),
        Town("Toulouse", "Occitanie", "31000"), Town("Strasbourg", "Grand Est", "67000"),
    ),
    streets=(
        "Rue de la République", "Rue Victor Hugo", "Avenue Jean Jaurès", "Boulevard Voltaire", "Rue des Lilas",
        "Place Bellecour", "Rue Sainte-Catherine", "Cours Mirabeau",
    ),
    companies=(
        ("Boulangerie Céline", "Bakery"), ("Librairie du Vieux-Port", "Books"), ("Garage Lemaître", "Car repair"),
        ("Fromagerie Bellecour", "Food"), ("Atelier Chevalier", "Crafts"), ("Épicerie fine Rousseau", "Groceries"),
        ("Fleurs de Loire", "Florist"), ("Café des Arts Lille", "Hospitality"),
    ),
    conversations=(
        ("Avez-vous ce modèle en taille 38 ?", "Oui, il nous en reste deux en bleu marine. Je vous en réserve un ?"),
        ("Quels sont vos horaires le samedi ?", "Nous sommes ouverts de 9 h à 19 h sans interruption."),
        ("Ma commande n’est toujours pas arrivée.", "Le colis est parti hier ; vous le recevrez jeudi. Voici le numéro de suivi."),
        ("Puis-je payer en plusieurs fois ?", "Oui, en trois fois sans frais à partir de 150 €."),
        ("Je voudrais échanger un article trop petit.", "Bien sûr, rapportez-le avec le ticket sous 30 jours."),
        ("Faites-vous la livraison à domicile ?", "Oui, gratuite à partir de 50 € d’achat."),
        ("Avez-vous reçu les nouveaux produits ?", "La nouvelle collection arrive lundi, je vous préviens dès réception."),
        ("Pouvez-vous m’envoyer un devis ?", "Je vous envoie le devis par e-mail avant ce soir."),
    ),
    task_titles=(
        "Rappeler pour confirmer la livraison", "Envoyer le devis", "Mettre la paire de côté", "Envoyer la facture",
    ),
    notes=("Préfère être appelée après 17 h.", "Cliente fidèle, achète chaque mois pour sa boutique."),
)

COUNTRIES: tuple[CountryData, ...] = (HAITI, MALAWI, ALBANIA, ROMANIA, FRANCE)

TAGS = ("VIP", "Wholesale", "Loyal customer", "New", "Diaspora", "Market vendor", "Newsletter")
INTERESTS = (
    "Shoes", "Perfume", "Fabric", "Phones", "Coffee", "Fertiliser", "Jewellery", "School supplies",
    "Cosmetics", "Kitchenware",
)

# Staff who answer customers; each works in their own language.
STAFF = (
    ("marie", "Marie", "Joseph", "ht", "agent"),
    ("chikondi", "Chikondi", "Phiri", "ny", "agent"),
    ("arber", "Arbër", "Hoxha", "sq", "agent"),
    ("ioana", "Ioana", "Popescu", "ro", "manager"),
    ("camille", "Camille", "Moreau", "fr", "agent"),
)
