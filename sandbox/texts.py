"""French texts of the simulated region: post messages, comments, page replies, names.

Texts are assembled from templates and per-topic vocabularies so that a few
hundred lines of data give thousands of varied, realistic messages (accents,
emoji, hashtags, questions). Every function takes the caller's `random.Random`
so that texts are as deterministic as the numbers around them.
"""

from __future__ import annotations

import random
from collections.abc import Mapping

PLACES: tuple[str, ...] = (
    "Montargent",
    "Port-Sainte-Claire",
    "Saint-Aubin-des-Forges",
    "Valmorel-sur-Argent",
    "Rivebelle",
    "Lanvallon",
    "Castelnau-d'Argent",
    "Sainte-Maure-la-Haute",
    "Vaubréaux",
    "Belcastel-en-Val",
    "Cormeval",
    "Pont-l'Évêque-d'Argent",
    "Hauterive",
    "Saint-Genès-les-Mines",
)

LINES: tuple[str, ...] = (
    "Val-d'Argent – Port-Sainte-Claire",
    "Montargent – Rivebelle",
    "Lanvallon – Saint-Aubin-des-Forges",
    "Montargent – Castelnau-d'Argent",
    "Cormeval – Sainte-Maure-la-Haute",
    "Port-Sainte-Claire – Hauterive",
)

WEEKDAYS: tuple[str, ...] = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS: tuple[str, ...] = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)

_COMMON_SLOTS: Mapping[str, tuple[str, ...]] = {
    "place": PLACES,
    "place2": PLACES,
    "line": LINES,
    "weekday": WEEKDAYS,
    "amount": (
        "1,2 million d'euros",
        "2,5 millions d'euros",
        "800 000 €",
        "4 millions d'euros",
        "350 000 €",
        "12 millions d'euros",
    ),
    "count": ("12", "25", "40", "60", "120", "300", "1 500", "2 000"),
    "price": ("10", "15", "20", "25", "30"),
    "hour": ("6h48", "7h12", "7h35", "8h05", "12h20", "17h10", "17h42", "18h15", "19h03"),
    "lycee": (
        "lycée Jean-Moulin de Montargent",
        "lycée Marie-Curie de Rivebelle",
        "lycée professionnel des Forges",
        "lycée agricole de Lanvallon",
        "lycée Simone-Veil de Port-Sainte-Claire",
        "lycée Victor-Hugo de Cormeval",
    ),
    "event": (
        "Festival des Lumières d'Argent",
        "Nuit des Musées",
        "Fête de la Science",
        "Salon de l'Orientation",
        "Trail des Crêtes",
        "Marché des Saveurs",
        "Journées du Patrimoine",
    ),
    "site": (
        "l'abbaye de Sainte-Maure",
        "les gorges de l'Argent",
        "le lac de Valmorel",
        "la citadelle de Belcastel",
        "la forêt des Bréaux",
        "le port de Port-Sainte-Claire",
    ),
    "sector": ("l'aéronautique", "le numérique", "l'agroalimentaire", "le BTP", "la santé", "l'hôtellerie"),
    "product": ("le fromage de Lanvallon", "les pommes des Bréaux", "le miel de Cormeval", "les vins de Castelnau"),
}


def _date_slot(generator: random.Random) -> str:
    day = generator.randint(1, 28)
    return f"{'1er' if day == 1 else day} {generator.choice(MONTHS)}"


class _Slots(dict):
    """Fills `{name}` placeholders on demand; one value per name per text.

    `place2` and `date2` are drawn to differ from `place` and `date`, so that
    "entre {place} et {place2}" never reads "entre Rivebelle et Rivebelle".
    """

    def __init__(self, generator: random.Random, topic_slots: Mapping[str, tuple[str, ...]]):
        super().__init__()
        self._rng = generator
        self._topic_slots = topic_slots

    def __missing__(self, key: str) -> str:
        if key in ("date", "date2"):
            value = _date_slot(self._rng)
            while key == "date2" and value == self.get("date"):
                value = _date_slot(self._rng)
        else:
            pool = self._topic_slots.get(key) or _COMMON_SLOTS[key]
            value = self._rng.choice(pool)
            twin = {"place2": "place"}.get(key)
            while twin and value == self.get(twin) and len(pool) > 1:
                value = self._rng.choice(pool)
        self[key] = value
        return value


def fill(generator: random.Random, template: str, topic: str | None = None) -> str:
    """Expand a template's `{slot}` placeholders with the topic's vocabulary."""
    topic_slots = TOPIC_VOCAB[topic]["slots"] if topic else {}
    return template.format_map(_Slots(generator, topic_slots))


TOPIC_VOCAB: dict[str, dict] = {
    "transports": {
        "emoji": ("🚆", "🚌", "🚉", "🚲", "🚦"),
        "hashtags": ("#transports", "#TER", "#mobilité", "#ValdArgentMobilités"),
        "slots": {"delay": ("5", "10", "12", "15", "20", "25", "40")},
        "posts": (
            "Nouveaux horaires TER sur la ligne {line} dès {weekday} !",
            "Travaux sur la ligne {line} du {date} au {date2} : des cars de substitution sont mis en place.",
            "La gare de {place} fait peau neuve : {amount} investis pour l'accessibilité des voyageurs.",
            "Trafic perturbé ce {weekday} sur la ligne {line}. Pensez à vérifier votre trajet avant de partir.",
            "Le Pass Mobilité passe à {price} € par mois pour les moins de 26 ans.",
            "{count} nouveaux cars régionaux à faibles émissions entrent en service entre {place} et {place2}.",
            "Transports scolaires : les inscriptions sont ouvertes jusqu'au {date}.",
            "Vélo + TER : {count} places de stationnement sécurisé ouvrent à la gare de {place}.",
            "Le TER de {hour} entre {place} et {place2} est renforcé aux heures de pointe.",
            "Mouvement social le {date} : consultez le plan de transport adapté sur l'appli Val-d'Argent Mobilités.",
        ),
        "questions": (
            "Le TER de {hour} sera-t-il maintenu pendant les travaux ?",
            "Est-ce que le car de substitution s'arrête à {place} ?",
            "Pourquoi le TER de {hour} est-il supprimé presque tous les jours ?",
            "Combien coûte l'abonnement mensuel entre {place} et {place2} ?",
            "À quelle heure part le premier train pour {place} le {weekday} ?",
            "Est-ce que les vélos sont acceptés dans les cars de substitution ?",
            "Quand la ligne {line} sera-t-elle rouverte ?",
            "Pourquoi n'y a-t-il toujours pas d'ascenseur en gare de {place} ?",
            "Combien de temps vont durer les travaux sur la ligne {line} ?",
            "Le Pass Mobilité est-il valable dans les bus urbains de {place} ?",
        ),
        "complaints": (
            "Encore {delay} minutes de retard ce matin sur la ligne {line}…",
            "Les trains sont bondés tous les matins entre {place} et {place2}, c'est intenable.",
            "Toujours aucune information en gare de {place} quand un train est supprimé.",
            "Le car de {hour} n'est jamais passé, j'ai raté mon rendez-vous.",
        ),
        "answers": (
            "le TER de {hour} est maintenu pendant les travaux, avec un car de substitution entre {place} et {place2}.",
            "les horaires détaillés sont disponibles sur l'appli Val-d'Argent Mobilités et en gare.",
            "les travaux sur la ligne {line} s'achèveront le {date}, la circulation reprendra normalement "
            "le lendemain.",
            "l'abonnement est à {price} € par mois pour les moins de 26 ans, toutes les infos sur "
            "region-valdargent.fr/mobilite.",
            "nous transmettons votre remarque au service exploitation, qui reviendra vers vous en message privé.",
        ),
    },
    "lycees": {
        "emoji": ("🎓", "📚", "🏫", "✏️"),
        "hashtags": ("#lycées", "#éducation", "#rentrée"),
        "slots": {},
        "posts": (
            "{amount} pour la rénovation énergétique du {lycee}.",
            "Manuels scolaires gratuits : la distribution commence le {date} dans tous les lycées de la région.",
            "Les élèves du {lycee} ont inauguré leur nouveau laboratoire de sciences.",
            "Ordinateurs portables pour les élèves de seconde : la commande est ouverte jusqu'au {date}.",
            "Restauration scolaire : {count} lycées servent désormais 50 % de produits locaux.",
            "Visite du chantier du futur lycée de {place}, qui accueillera ses premiers élèves à la rentrée.",
        ),
        "questions": (
            "Quand la carte Pass Jeunes arrive-t-elle ?",
            "Est-ce que les manuels sont aussi gratuits pour les lycées privés ?",
            "Pourquoi la cantine du {lycee} est-elle fermée depuis {weekday} ?",
            "Combien d'élèves pourra accueillir le nouveau lycée de {place} ?",
            "À quelle heure ouvre l'internat le jour de la rentrée ?",
            "Les ordinateurs sont-ils prêtés ou donnés aux élèves ?",
        ),
        "complaints": (
            "Le chauffage du {lycee} ne fonctionne toujours pas, les élèves ont froid.",
            "Toujours pas reçu les manuels alors que la rentrée est passée depuis un mois.",
        ),
        "answers": (
            "la carte Pass Jeunes est envoyée à domicile sous trois semaines après l'inscription en ligne.",
            "les manuels sont gratuits pour tous les lycéens de la région, public comme privé.",
            "le service des lycées est informé et une intervention est prévue dès {weekday}.",
        ),
    },
    "environnement": {
        "emoji": ("🌱", "♻️", "🌍", "💧", "☀️"),
        "hashtags": ("#environnement", "#transitionécologique", "#climat"),
        "slots": {},
        "posts": (
            "{count} hectares de haies replantées cette année dans la région grâce aux agriculteurs volontaires.",
            "Rénovation énergétique : une aide jusqu'à {price} 000 € pour les propriétaires de {place} et alentours.",
            "La centrale solaire de {place} produit désormais l'électricité de {count} foyers.",
            "Qualité de l'eau : {amount} pour protéger les captages de la vallée de l'Argent.",
            "Zéro déchet : {count} communes rejoignent le programme régional de compostage.",
            "Journée de nettoyage des berges de l'Argent le {date} : inscrivez-vous !",
        ),
        "questions": (
            "Est-ce que l'aide à la rénovation est cumulable avec MaPrimeRénov' ?",
            "Pourquoi ne pas installer des panneaux solaires sur les lycées ?",
            "Combien de temps faut-il pour recevoir l'aide après le dossier ?",
            "À quelle heure commence le nettoyage des berges le {date} ?",
        ),
        "complaints": (
            "Des belles paroles, mais la rivière à {place} est toujours aussi polluée.",
            "On attend toujours la piste cyclable promise entre {place} et {place2}.",
        ),
        "answers": (
            "oui, l'aide régionale est cumulable avec les aides nationales, sous conditions de ressources.",
            "le dossier est instruit en six semaines environ, vous recevez un courriel à chaque étape.",
            "le rendez-vous est fixé à 9h30 sur le parking de la base nautique de {place}.",
        ),
    },
    "emploi": {
        "emoji": ("💼", "🤝", "📈", "🏭"),
        "hashtags": ("#emploi", "#économie", "#formation"),
        "slots": {},
        "posts": (
            "Forum de l'emploi à {place} le {date} : plus de {count} offres dans {sector}.",
            "La Région soutient l'implantation d'une nouvelle usine à {place} : {count} emplois à la clé.",
            "Formations gratuites pour les demandeurs d'emploi dans {sector} : candidatures jusqu'au {date}.",
            "{amount} pour accompagner les TPE et PME de la région dans leur transition numérique.",
            "Apprentissage : la Région double la prime pour les entreprises qui recrutent dans {sector}.",
        ),
        "questions": (
            "Est-ce que le forum est ouvert aux étudiants ?",
            "Combien de places sont prévues dans la formation ?",
            "Pourquoi ces formations ne sont-elles jamais proposées à {place} ?",
            "À quelle heure ouvre le forum de l'emploi ?",
            "Faut-il être inscrit à France Travail pour candidater ?",
        ),
        "complaints": (
            "Encore des annonces, mais aucun emploi concret pour les jeunes de {place}.",
            "J'ai postulé il y a deux mois, toujours aucune réponse.",
        ),
        "answers": (
            "le forum est ouvert à tous, étudiants compris, de 9h à 17h.",
            "vous trouverez la liste des formations et le formulaire de candidature sur region-valdargent.fr/emploi.",
            "l'inscription à France Travail n'est pas obligatoire pour ces formations.",
        ),
    },
    "culture": {
        "emoji": ("🎭", "🎶", "🎨", "📖"),
        "hashtags": ("#culture", "#spectacle", "#patrimoine"),
        "slots": {},
        "posts": (
            "Le {event} revient à {place} du {date} au {date2} !",
            "{count} artistes de la région exposent au musée de {place} jusqu'au {date}.",
            "Patrimoine : {amount} pour restaurer {site}.",
            "Concert gratuit ce {weekday} soir sur la place de {place} avec l'Orchestre régional.",
            "Lecture publique : la médiathèque de {place} ouvre désormais le dimanche.",
        ),
        "questions": (
            "Est-ce que le {event} est gratuit pour les enfants ?",
            "À quelle heure commence le concert de {weekday} ?",
            "Combien coûte l'entrée du musée de {place} ?",
            "Pourquoi rien n'est-il jamais organisé à {place} ?",
        ),
        "complaints": ("Tout se passe toujours à {place}, les petites communes sont oubliées.",),
        "answers": (
            "l'entrée est gratuite pour les moins de 18 ans et les étudiants.",
            "le concert débute à 20h30, ouverture des portes à 19h45.",
        ),
    },
    "sport": {
        "emoji": ("🏃\u200d♀️", "⚽", "🚴", "🏅", "🏊"),
        "hashtags": ("#sport", "#ValdArgentSport"),
        "slots": {},
        "posts": (
            "Bravo aux {count} coureurs du {event} sous le soleil de {place} !",
            "Nouveau gymnase à {place} : {amount} investis par la Région.",
            "Le club de handball de {place} monte en Nationale 1, félicitations !",
            "Pass Sport régional : {price} € offerts pour toute licence en club avant le {date}.",
            "Le Tour du Val-d'Argent passera par {place} et {place2} le {date}.",
        ),
        "questions": (
            "Est-ce que le Pass Sport marche aussi pour la danse ?",
            "À quelle heure passe la course à {place} ?",
            "Combien de dossards restent-ils pour le {event} ?",
            "Pourquoi le gymnase de {place} est-il fermé le {weekday} ?",
        ),
        "complaints": ("Les routes seront encore fermées toute la journée à {place}…",),
        "answers": (
            "le Pass Sport est valable pour toutes les disciplines affiliées à une fédération.",
            "le passage de la course à {place} est prévu vers {hour}.",
        ),
    },
    "tourisme": {
        "emoji": ("🏞️", "🏰", "🧭", "⛵", "☀️"),
        "hashtags": ("#tourisme", "#ValdArgent", "#vacances"),
        "slots": {},
        "posts": (
            "Ce week-end, partez à la découverte de {site} 🥾",
            "Nouveau sentier de randonnée entre {place} et {place2} : 18 km au fil de l'Argent.",
            "Record de fréquentation cet été : {count} 000 visiteurs pour {site}.",
            "Les offices de tourisme de {place} et {place2} lancent un pass découverte commun.",
            "Idée de sortie : {event} à {place} le {date}.",
        ),
        "questions": (
            "Est-ce que le sentier est accessible aux poussettes ?",
            "À quelle heure ferme {site} en hiver ?",
            "Combien coûte le pass découverte ?",
            "Y a-t-il un parking près de {site} ?",
        ),
        "complaints": ("Impossible de se garer à {place} le week-end, il faudrait des navettes.",),
        "answers": (
            "le sentier est praticable en poussette sur les 6 premiers kilomètres.",
            "le pass découverte est à {price} € pour un adulte, gratuit pour les moins de 12 ans.",
        ),
    },
    "sante": {
        "emoji": ("🩺", "🏥", "💙"),
        "hashtags": ("#santé", "#prévention"),
        "slots": {},
        "posts": (
            "Une nouvelle maison de santé ouvre à {place} avec {count} professionnels.",
            "Bus santé : dépistage gratuit à {place} le {date}.",
            "{amount} pour attirer des médecins dans les territoires ruraux.",
            "Bourses pour les étudiants en médecine qui s'installent dans la région : candidatures jusqu'au {date}.",
        ),
        "questions": (
            "Est-ce que la maison de santé prend de nouveaux patients ?",
            "À quelle heure passe le bus santé à {place} ?",
            "Combien de médecins vont vraiment s'installer ?",
            "Pourquoi {place} n'a-t-elle plus de pédiatre ?",
        ),
        "complaints": ("Six mois d'attente pour un ophtalmo à {place}, c'est inadmissible.",),
        "answers": (
            "la maison de santé accepte de nouveaux patients, la prise de rendez-vous se fait en ligne.",
            "le bus santé sera présent de 9h à 16h sur la place de la mairie.",
        ),
    },
    "agriculture": {
        "emoji": ("🌾", "🚜", "🧀", "🍎"),
        "hashtags": ("#agriculture", "#produitslocaux", "#circuitscourts"),
        "slots": {},
        "posts": (
            "Soutien aux éleveurs : {amount} pour moderniser les exploitations.",
            "À la découverte de {product}, fierté de nos producteurs !",
            "{count} exploitations converties au bio cette année dans la région.",
            "Marché de producteurs à {place} ce {weekday} matin.",
            "Installation des jeunes agriculteurs : une aide régionale jusqu'à {price} 000 €.",
        ),
        "questions": (
            "Est-ce que l'aide est ouverte aux reconversions après 40 ans ?",
            "À quelle heure commence le marché de {place} ?",
            "Combien d'exploitations ont fermé l'an dernier ?",
            "Où peut-on acheter {product} ?",
        ),
        "complaints": ("Les agriculteurs attendent des actes, pas des photos.",),
        "answers": (
            "l'aide à l'installation est ouverte sans limite d'âge pour les projets de reconversion.",
            "le marché se tient de 8h à 13h sur la place centrale.",
        ),
    },
    "jeunesse": {
        "emoji": ("🎉", "🎒", "✨", "🧑\u200d🎓"),
        "hashtags": ("#jeunesse", "#PassJeunes", "#ValdArgentJeunesse"),
        "slots": {},
        "posts": (
            "Le Pass Jeunes arrive : {price} € pour la culture, le sport et le permis de conduire !",
            "Service civique : {count} missions à pourvoir dans la région, postulez avant le {date}.",
            "Aide au permis de conduire : jusqu'à {price}0 € pour les 18-25 ans.",
            "Conseil régional des jeunes : les élections ont lieu le {date} dans tous les lycées.",
            "Jobs d'été : rendez-vous au {event} à {place} le {date}.",
            "Mobilité internationale : une bourse pour partir étudier en Europe, dossiers avant le {date}.",
        ),
        "questions": (
            "Quand la carte Pass Jeunes arrive-t-elle ?",
            "Est-ce que le Pass Jeunes marche pour les apprentis ?",
            "Combien de temps faut-il pour recevoir l'aide au permis ?",
            "Pourquoi je n'ai pas reçu de code d'activation ?",
            "À quelle heure ouvre l'inscription en ligne ?",
        ),
        "complaints": ("Inscrit depuis un mois, toujours rien reçu pour le Pass Jeunes…",),
        "answers": (
            "la carte Pass Jeunes arrive sous trois semaines après validation du dossier.",
            "le Pass Jeunes est ouvert aux apprentis et aux étudiants de 15 à 25 ans.",
            "écrivez-nous en message privé avec votre numéro de dossier, nous vérifions tout de suite.",
        ),
    },
}

PRAISE: tuple[str, ...] = (
    "Super initiative 👏",
    "Bravo à toute l'équipe !",
    "Merci la Région !",
    "Génial, hâte d'y être 😍",
    "Enfin une bonne nouvelle pour {place} !",
    "Très belle photo 📸",
    "Top, merci pour l'info !",
    "Ça fait plaisir de voir ça 👍",
    "Magnifique !",
    "Excellente nouvelle pour nos jeunes.",
)

REACTIONS: tuple[str, ...] = (
    "😍",
    "👍👍",
    "Intéressant.",
    "Je partage !",
    "À voir…",
    "On y sera !",
    "Ah enfin !",
    "Merci pour le partage.",
)

ABUSIVE: tuple[str, ...] = (
    "Bande de nuls !",
    "Quelle honte cette gestion…",
    "Des incompétents, comme d'habitude.",
    "Vous êtes vraiment nuls, rien ne marche.",
    "C'est une honte totale !!!",
    "Incompétents du début à la fin.",
)

USER_REPLIES: tuple[str, ...] = (
    "Pareil pour moi.",
    "Tout à fait d'accord.",
    "Ce matin c'était pareil à {place}.",
    "Il faut écrire directement au service, ils répondent vite.",
    "Pas d'accord, ça s'est amélioré depuis l'an dernier.",
    "+1",
)

GENERIC_ANSWERS: tuple[str, ...] = (
    "nous vous invitons à nous écrire en message privé avec plus de détails, nous regardons votre situation.",
    "toutes les informations sont disponibles sur region-valdargent.fr.",
)

INCIDENT_TEXTS: dict[str, dict[str, tuple[str, ...]]] = {
    # what the public writes during an incident (sandbox.incidents); questions end with "?"
    "greve_ter": {
        "hashtags": ("#GrèveTER", "#GrèveTER", "#greveTER", "#TER"),
        "question": (
            "Grève TER aujourd'hui : le train de {hour} pour {place} circule-t-il ?",
            "Y a-t-il des cars de substitution entre {place} et {place2} pendant la grève ?",
            "Combien de TER circulent ce matin sur la ligne {line} ?",
            "Mon abonnement TER sera-t-il remboursé pour les jours de grève ?",
            "Est-ce que la grève continue demain sur la ligne {line} ?",
            "Comment aller à {place} sans train aujourd'hui ?",
            "Pourquoi aucune information en gare de {place} sur la grève ?",
            "Le TER de {hour} est-il supprimé à cause du mouvement social ?",
            "Les cars de substitution acceptent-ils l'abonnement TER ?",
            "À quelle heure part le dernier train pour {place} ce soir ?",
        ),
        "complaint": (
            "Aucun train ce matin à {place}, et toujours aucune information en gare.",
            "Encore une grève, encore une heure perdue sur le quai de {place}.",
            "Deux heures pour faire {place} – {place2} en car de substitution, c'est intenable.",
            "Les usagers du TER sont toujours les premiers à payer ces grèves.",
            "Le car de substitution de {hour} est complet, impossible de monter.",
            "Trains supprimés sans prévenir sur la ligne {line}, je vais être en retard au travail.",
        ),
        "reaction": (
            "Courage à tous les voyageurs ce matin 😩",
            "Merci pour les infos trafic en temps réel.",
            "Vivement la fin de cette grève des trains.",
        ),
        "abusive": (
            "Grève TER encore une fois, quelle honte cette gestion…",
            "Des incompétents, pas un train à l'heure même quand il n'y a pas grève.",
        ),
        "answer": (
            "le trafic TER est fortement perturbé aujourd'hui en raison d'un mouvement social : "
            "le plan de transport adapté est sur l'appli Val-d'Argent Mobilités.",
            "des cars de substitution circulent entre {place} et {place2} toutes les heures, "
            "les abonnements TER y sont acceptés.",
            "les abonnés seront dédommagés pour les jours de grève, la démarche sera publiée sur "
            "region-valdargent.fr/mobilite.",
        ),
    },
    "panne_pass_jeunes": {
        "hashtags": ("#PassJeunes",),
        "question": (
            "Impossible de valider mon Pass Jeunes, le site est en panne ?",
            "Pass Jeunes : quelqu'un d'autre n'arrive pas à se connecter ?",
            "Mon code d'activation du Pass Jeunes ne marche pas, c'est normal ?",
            "Jusqu'à quand le site du Pass Jeunes sera-t-il inaccessible ?",
            "La date limite d'inscription au Pass Jeunes sera-t-elle repoussée ?",
            "Est-ce que les jeunes qui n'ont pas pu s'inscrire aujourd'hui garderont leur Pass Jeunes ?",
        ),
        "complaint": (
            "Trois heures que j'essaie de m'inscrire au Pass Jeunes, le site plante à chaque fois.",
            "Site du Pass Jeunes toujours en panne, c'est n'importe quoi.",
            "Impossible de me connecter à mon espace Pass Jeunes depuis ce midi.",
        ),
        "reaction": (
            "Pareil pour moi, le Pass Jeunes ne charge pas 😤",
            "Le Pass Jeunes a planté pour tout le monde 😅",
        ),
        "abusive": ("Pass Jeunes en panne, quelle honte cette gestion…",),
        "answer": (
            "le site du Pass Jeunes connaît un incident technique, nos équipes sont mobilisées ; "
            "la date limite d'inscription sera prolongée.",
            "le service Pass Jeunes est de nouveau accessible, merci pour votre patience.",
        ),
    },
}


def incident_comment(generator: random.Random, kind: str, comment_kind: str, tag_share: float = 1 / 3) -> str:
    """A comment written during an incident; a share of them carry the incident's hashtag.

    The tag goes in front of questions (so that they still end with "?") and after the
    other comments, the way people tag on social media.
    """
    vocab = INCIDENT_TEXTS[kind]
    text = fill(generator, generator.choice(vocab[comment_kind]), "transports")
    if generator.random() < tag_share:
        tag = generator.choice(vocab["hashtags"])
        text = f"{tag} {text}" if comment_kind == "question" else f"{text} {tag}"
    return text


def incident_reply(generator: random.Random, kind: str, first_name: str | None) -> str:
    """The community manager's answer to a question asked during an incident."""
    answer = fill(generator, generator.choice(INCIDENT_TEXTS[kind]["answer"]), "transports")
    greeting = f"Bonjour {first_name}" if first_name and generator.random() < 0.4 else "Bonjour"
    return f"{greeting}, merci pour votre message : {answer}"


def comment_hashtag(generator: random.Random, topic: str) -> str:
    """A hashtag people add to a comment on `topic` (the topic's own tags)."""
    return generator.choice(TOPIC_VOCAB[topic]["hashtags"])


_LINK_PATHS: Mapping[str, str] = {
    "transports": "mobilite",
    "lycees": "lycees",
    "environnement": "transition-ecologique",
    "emploi": "emploi",
    "culture": "culture",
    "sport": "sport",
    "tourisme": "tourisme",
    "sante": "sante",
    "agriculture": "agriculture",
    "jeunesse": "jeunesse",
}

_CALLS_TO_ACTION: tuple[str, ...] = (
    "Plus d'infos sur region-valdargent.fr.",
    "Partagez autour de vous !",
    "On compte sur vous 💪",
    "Toutes les infos en commentaire.",
    "",
    "",
)

FIRST_NAMES: tuple[str, ...] = (
    "Marie",
    "Camille",
    "Léa",
    "Manon",
    "Chloé",
    "Inès",
    "Sarah",
    "Julie",
    "Nathalie",
    "Isabelle",
    "Sophie",
    "Céline",
    "Élodie",
    "Aurélie",
    "Sandrine",
    "Brigitte",
    "Monique",
    "Emma",
    "Jade",
    "Louise",
    "Zoé",
    "Anaïs",
    "Hélène",
    "Françoise",
    "Nadia",
    "Yasmine",
    "Océane",
    "Maëlle",
    "Thomas",
    "Nicolas",
    "Julien",
    "Maxime",
    "Antoine",
    "Hugo",
    "Lucas",
    "Mathieu",
    "Kévin",
    "Romain",
    "Pierre",
    "Jean-Marc",
    "Philippe",
    "Patrick",
    "Éric",
    "Laurent",
    "Stéphane",
    "Olivier",
    "Bruno",
    "Théo",
    "Nathan",
    "Enzo",
    "Karim",
    "Mehdi",
    "Yanis",
    "Gaël",
    "Loïc",
    "Jérôme",
    "François",
)

LAST_NAMES: tuple[str, ...] = (
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Legrand",
    "Garnier",
    "Faure",
    "Rousseau",
    "Blanc",
    "Guérin",
    "Muller",
    "Henry",
    "Roussel",
    "Nicolas",
    "Perrin",
    "Mathieu",
    "Clément",
    "Gauthier",
    "Dumont",
    "Lopez",
    "Fontaine",
    "Chevalier",
    "Robin",
    "Masson",
    "Sanchez",
    "Gérard",
    "Nguyen",
    "Boyer",
    "Denis",
    "Lemaire",
    "Duval",
    "Joly",
    "Gautier",
    "Roger",
    "Benali",
    "Haddad",
    "Lebrun",
    "Caron",
    "Brunet",
    "Pelletier",
    "Barbier",
    "Aubert",
    "Rey",
    "Vidal",
)


def person_name(generator: random.Random) -> str:
    """A French first and last name."""
    return f"{generator.choice(FIRST_NAMES)} {generator.choice(LAST_NAMES)}"


def post_message(generator: random.Random, topic: str, post_format: str) -> str:
    """A post text: emoji, templated sentence, optional call to action, hashtags.

    Link posts end with a region URL, as shared links do.
    """
    vocab = TOPIC_VOCAB[topic]
    slots = _Slots(generator, vocab["slots"])
    sentence = generator.choice(vocab["posts"]).format_map(slots)
    parts = [f"{generator.choice(vocab['emoji'])} {sentence}"]
    call = generator.choice(_CALLS_TO_ACTION)
    if call:
        parts.append(call)
    if post_format == "link":
        parts.append(f"👉 https://www.region-valdargent.fr/{_LINK_PATHS[topic]}/{generator.randint(100, 9999)}")
    tags = generator.sample(vocab["hashtags"], k=min(len(vocab["hashtags"]), generator.randint(1, 3)))
    if generator.random() < 0.3:
        tags.append("#ValdArgent")
    parts.append(" ".join(dict.fromkeys(tags)))
    return " ".join(parts)


def question(generator: random.Random, topic: str) -> str:
    return fill(generator, generator.choice(TOPIC_VOCAB[topic]["questions"]), topic)


def complaint(generator: random.Random, topic: str) -> str:
    return fill(generator, generator.choice(TOPIC_VOCAB[topic]["complaints"]), topic)


def praise(generator: random.Random) -> str:
    return fill(generator, generator.choice(PRAISE))


def reaction(generator: random.Random) -> str:
    return generator.choice(REACTIONS)


def abusive(generator: random.Random) -> str:
    return generator.choice(ABUSIVE)


def user_reply(generator: random.Random) -> str:
    return fill(generator, generator.choice(USER_REPLIES))


def page_reply(generator: random.Random, topic: str, first_name: str | None) -> str:
    """The community manager's answer to a question: "Bonjour, merci pour votre message : …"."""
    pool = TOPIC_VOCAB[topic]["answers"] + GENERIC_ANSWERS
    answer = fill(generator, generator.choice(pool), topic)
    greeting = f"Bonjour {first_name}" if first_name and generator.random() < 0.4 else "Bonjour"
    return f"{greeting}, merci pour votre message : {answer}"
