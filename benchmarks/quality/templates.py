"""Site boilerplate for the quality benchmark, in two disjoint sets.

``tuning`` uses the phrasings the rule catalogue (``dedup/rules.py``) was written from: its examples
and the wording its patterns name. ``heldout`` uses other phrasings and layouts that news sites and
blogs print (widget text split over several lines, breadcrumbs, consent banners, author boxes,
numbered or timestamped link lists, titles repeated with the site name): the rules were not written
against them, so they measure how the rules generalise. No line template is in both sets (checked by
:func:`check_disjoint`).

A variant is a block of line templates. ``{name}`` fields are filled from the page (title, author,
date, site, counts, tags); a line ``@headlines FMT`` expands to 3-5 lines of headlines of other
articles, ``@toc FMT`` to 3-5 table-of-contents entries and ``@tags FMT`` to 3-5 tag lines. Each
variant says where a site may put it: ``pre`` (above the title), ``post`` (between the title and the
first paragraph), ``inline`` (between two paragraphs) or ``foot`` (after the last paragraph).
"""

from __future__ import annotations

from dataclasses import dataclass

FAMILIES = ("navigation", "cookie", "byline", "share", "photo-credit", "toc", "ad", "related", "tags",
            "newsletter", "comments", "copyright", "repeated-title")

#: Where a family's variants go unless a variant says otherwise.
DEFAULT_WHERE: dict[str, tuple[str, ...]] = {
    "navigation": ("pre",), "cookie": ("pre", "foot"), "byline": ("post",), "share": ("post", "foot"),
    "photo-credit": ("post", "inline"), "toc": ("post",), "ad": ("post", "inline", "foot"), "related": ("foot",),
    "tags": ("foot",), "newsletter": ("foot",), "comments": ("foot",), "copyright": ("foot",),
    "repeated-title": ("post", "foot"),
}

SECTION = {"en": "Politics", "de": "Politik", "es": "Política"}
TOPICS = {
    "en": ["Parliament", "Economy", "Health", "Education", "Budget", "Defence", "Housing", "Transport", "Europe",
           "Immigration", "Environment", "Justice", "Local government", "Employment", "Welfare", "Energy"],
    "de": ["Bundestag", "Wirtschaft", "Gesundheit", "Bildung", "Haushalt", "Europa", "Verteidigung", "Arbeit",
           "Umwelt", "Innenpolitik", "Außenpolitik", "Finanzen", "Rente", "Energie", "Landwirtschaft"],
    "es": ["Congreso", "Economía", "Sanidad", "Educación", "Presupuestos", "Europa", "Empleo", "Justicia",
           "Vivienda", "Medio ambiente", "Pensiones", "Energía", "Agricultura", "Defensa"],
}
TOC_ENTRIES = {
    "en": ["Background", "What the bill says", "Reaction in Parliament", "What happens next", "Key figures",
           "The debate", "Cost and funding", "Opposition response"],
    "de": ["Hintergrund", "Was der Entwurf vorsieht", "Reaktionen im Bundestag", "Wie es weitergeht",
           "Die wichtigsten Zahlen", "Kritik der Opposition", "Kosten und Finanzierung"],
    "es": ["Antecedentes", "Qué dice el proyecto", "Reacciones en el Congreso", "Próximos pasos", "Las cifras clave",
           "El debate", "La respuesta de la oposición"],
}
AGO = {"en": "{h} hours ago", "de": "vor {h} Stunden", "es": "hace {h} horas"}
MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
    "de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November",
           "Dezember"],
    "es": ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
           "noviembre", "diciembre"],
}
AGENCIES = {"en": ["PA", "Getty Images", "Reuters", "AFP"], "de": ["dpa", "Imago", "AFP", "Reuters"],
            "es": ["EFE", "Europa Press", "AFP", "Reuters"]}

# (lines) or (where, lines): where overrides DEFAULT_WHERE for that variant.
Spec = tuple[str, ...] | tuple[tuple[str, ...], tuple[str, ...]]

TUNING: dict[str, dict[str, list[Spec]]] = {
    "en": {
        "navigation": [("Skip to content",), ("Home", "Menu", "Search"), (("foot",), ("Back to top",)),
                       (("foot",), ("Privacy Policy", "Terms of Service", "Contact us"))],
        "cookie": [("We use cookies to improve your experience on our site.", "Accept all cookies"),
                   ("This website uses cookies to ensure you get the best experience.", "Cookie Policy")],
        "byline": [("By {author}",), ("By {author} | {site}",), ("By {author}", "{date_en}"), ("Published: {date_en}",),
                   ("Updated {h} hours ago",), ("Written by {author}",), ("{mins} min read",),
                   (("foot",), ("Reporting by {author}; Editing by {author2}",))],
        "share": [("Share this article",), ("Facebook Twitter LinkedIn Email",), ("Share on Facebook", "Share on X"),
                  ("Click to share on Facebook (Opens in new window)", "Click to share on X (Opens in new window)"),
                  (("foot",), ("Follow us on Twitter",)), ("Share", "Facebook", "Twitter", "Email")],
        "photo-credit": [("Photo: {photographer}/Getty Images",), ("(Photo by {photographer}/AFP)",),
                         ("Image credit: {site}",)],
        "toc": [("Table of Contents", "@toc {entry}"), ("In this article:", "@toc {entry}"),
                ("Table of contents [hide]", "@toc {entry}")],
        "ad": [("Advertisement",), ("ADVERTISEMENT",), (("inline",), ("Story continues below advertisement",)),
               ("Sponsored content",)],
        "related": [("Related Articles", "@headlines {headline}"), ("You may also like", "@headlines {headline}"),
                    ("Most Popular", "@headlines {headline}"), ("More from {site}", "@headlines {headline}"),
                    ("Recommended for you", "@headlines {headline}"),
                    (("inline",), ("Related: {headline}",)), (("inline",), ("READ MORE: {headline}",)),
                    (("inline",), ("See also: {headline}",))],
        "tags": [("Tags: {tags}",), ("{hashtags}",), ("Filed under: {tag}",), ("Topics: {tags}",)],
        "newsletter": [("Sign up for our newsletter",),
                       (("foot", "inline"), ("Get the latest news delivered to your inbox every morning.",)),
                       ("Newsletter", "Enter your email address", "Subscribe now",
                        "By signing up, you agree to our Terms of Use and Privacy Policy."),
                       ("Thanks for signing up!",)],
        "comments": [("Comments",), ("{n} Comments",),
                     ("Leave a Reply", "Your email address will not be published. Required fields are marked *",
                      "Comment *", "Name *", "Email *", "Post Comment"),
                     ("Loading comments...",), ("Comments are closed.",), ("Be the first to comment!",),
                     ("Join the discussion",), ("What do you think?", "Let us know in the comments below!"),
                     ("View all comments →",)],
        "copyright": [("© {year} {site}. All rights reserved.",), ("Copyright {year} {site}.",),
                      ("This material may not be published, broadcast, rewritten or redistributed.",)],
        "repeated-title": [("{title}",)],
    },
    "de": {
        "navigation": [("Startseite", "Suche"), (("foot",), ("Zurück nach oben",))],
        "cookie": [("Wir verwenden Cookies, um unsere Website zu verbessern.", "Alle akzeptieren"),
                   ("Diese Website verwendet Cookies.", "Cookies akzeptieren")],
        "byline": [("Von {author}",), ("Veröffentlicht am {date_de}",), ("Aktualisiert: {date_num_de}, {time} Uhr",),
                   ("{date_de}",), ("Lesezeit: {mins} Minuten",)],
        "share": [("Teilen",), ("Artikel teilen",), ("Facebook Twitter WhatsApp E-Mail",),
                  ("Teilen", "Facebook", "Twitter", "E-Mail")],
        "photo-credit": [("Foto: dpa",), ("Foto: {photographer}/dpa",), ("Bild: {photographer}",)],
        "toc": [("Inhaltsverzeichnis", "@toc {entry}"), ("Inhalt", "@toc {entry}")],
        "ad": [("Anzeige",), ("Werbung",)],
        "related": [("Lesen Sie auch", "@headlines {headline}"), ("Mehr zum Thema", "@headlines {headline}"),
                    ("Das könnte Sie auch interessieren", "@headlines {headline}"),
                    ("Meistgelesen", "@headlines {headline}"),
                    (("inline",), ("Lesen Sie auch: {headline}",)), (("inline",), ("Mehr zum Thema: {headline}",))],
        "tags": [("Schlagworte: {tags}",), ("Themen: {tags}",), ("{hashtags}",)],
        "newsletter": [("Newsletter abonnieren",), ("Jetzt abonnieren",), ("Newsletter", "Zum Newsletter anmelden")],
        "comments": [("Kommentare",), ("Kommentare ({n})",), ("Kommentar schreiben",), ("Diskutieren Sie mit",),
                     ("Was meinen Sie?",), ("{n} Kommentare",)],
        "copyright": [("© {year} {site}. Alle Rechte vorbehalten.",), ("Alle Rechte vorbehalten.",)],
        "repeated-title": [("{title}",)],
    },
    "es": {
        "navigation": [("Inicio", "Buscar"), (("foot",), ("Volver arriba",))],
        "cookie": [("Este sitio web utiliza cookies para mejorar su experiencia.", "Aceptar todas las cookies"),
                   ("Utilizamos cookies propias y de terceros.",)],
        "byline": [("Por {author}",), ("Publicado: {date_es}",), ("Actualizado el {date_es}",)],
        "share": [("Compartir",), ("Compartir: Facebook Twitter WhatsApp",)],
        "photo-credit": [("Foto: EFE",), ("Foto: {photographer}/EFE",)],
        "toc": [("Índice", "@toc {entry}"), ("Contenido", "@toc {entry}")],
        "ad": [("Publicidad",)],
        "related": [("Noticias relacionadas", "@headlines {headline}"), ("Te puede interesar", "@headlines {headline}"),
                    ("Lo más leído", "@headlines {headline}"),
                    (("inline",), ("Lee también: {headline}",)), (("inline",), ("Leer más: {headline}",))],
        "tags": [("Etiquetas: {tags}",), ("Temas: {tags}",), ("{hashtags}",)],
        "newsletter": [("Suscríbete a nuestro newsletter",), ("Suscribirse",)],
        "comments": [("Comentarios",), ("{n} comentarios",), ("Deja un comentario",), ("¿Qué opinas?",),
                     ("Escribe un comentario",)],
        "copyright": [("© {year} {site}. Todos los derechos reservados.",)],
        "repeated-title": [("{title}",)],
    },
}

HELDOUT: dict[str, dict[str, list[Spec]]] = {
    "en": {
        "navigation": [("Home > {section} > Parliament",), ("You are here: Home / News / {section}",),
                       ("Sections", "Sign in", "Subscribe"), (("foot",), ("Scroll to top ↑",))],
        "cookie": [("We and our partners use cookies and similar technologies to personalise content and ads, "
                    "and to analyse our traffic.", "Manage choices", "I agree"),
                   ("We value your privacy", "Reject all", "Accept all"),
                   (("foot",), ("Your privacy choices", "Do Not Sell or Share My Personal Information"))],
        "byline": [("{author}, Political Correspondent",), ("{author} · {d_month_y}",),
                   ("Last edited on {date_en}",), ("Words: {author}",),
                   ("{author}", "{d_month_y}, {time} GMT"),
                   (("foot",), ("About the author",
                                "{author} is a political reporter at {site}, covering Westminster and the devolved "
                                "parliaments.")),
                   (("foot",), ("More from {author}",))],
        "share": [("Share this with", "Messenger", "WhatsApp", "Pinterest", "Copy this link"),
                  ("Gift this article",), ("Save article", "Copy link"), ("Tweet · Share · Email",),
                  (("foot",), ("Send this story to a friend",))],
        "photo-credit": [("{photographer} / PA Wire",), ("Credit: PA Images",), ("(Image: {photographer})",),
                         ("Picture: {photographer}",)],
        "toc": [("What's in this article", "@toc {entry}"), ("Jump to section", "@toc → {entry}"),
                ("On this page", "@toc {i}. {entry}")],
        "ad": [("Sponsored",), ("Advertisement - Scroll to continue",), (("inline",), ("Continue reading below",)),
               (("foot",), ("Promoted links by Taboola",)), ("AD · Why this ad?",)],
        "related": [("Keep reading", "@headlines {headline}"), ("Up next", "@headlines {headline} · {ago}"),
                    ("Popular right now", "@headlines {i}. {headline}"), ("Also in {section}", "@headlines {headline}"),
                    ("Elsewhere on {site}", "@headlines {headline}"),
                    (("inline",), ("Also read | {headline}",)), (("inline",), ("ALSO ON {SITE}: {headline}",)),
                    (("inline",), ("Read next → {headline}",))],
        "tags": [("In this story: {tags_dot}",), ("Explore topics", "@tags {tag}"), ("{hashtags} via @{handle}",),
                 ("More about {tag} and {tag2}",)],
        "newsletter": [("The Morning Briefing", "Our top stories, straight to your inbox every weekday.",
                        "Your email address", "Sign me up", "You can opt out at any time. Read our privacy notice."),
                       (("foot", "inline"), ("Want more stories like this? Get our free weekly roundup.",)),
                       ("Don't miss a story: join 40,000 readers who get our daily email.",)],
        "comments": [("Reader comments ({n})", "Sort by: Newest | Oldest | Most liked"),
                     ("Comments are moderated. Please read our community standards before posting.",),
                     ("Log in or create a free account to comment",), ("{n} responses", "Add your response"),
                     ("Discussion", "Most liked", "Newest first", "Report this comment"),
                     ("Show {n} comments",)],
        "copyright": [("{site} Media Ltd, registered in England and Wales No. {regno}.",),
                      ("Reproduction in whole or in part without permission is prohibited.",),
                      ("Terms & Conditions · Privacy · Contact · Advertise",), ("Part of the {site} Media Group",)],
        "repeated-title": [("{title} | {site}",), ("{title} - {site}",), ("Home » {section} » {title}",)],
    },
    "de": {
        "navigation": [("Startseite › {section} › Deutschland",), ("Sie sind hier: Startseite / {section}",),
                       (("foot",), ("Nach oben",))],
        "cookie": [("Wir und unsere Partner speichern und/oder greifen auf Informationen auf einem Gerät zu, "
                    "beispielsweise auf Cookies, und verarbeiten personenbezogene Daten.", "Einstellungen",
                    "Zustimmen und weiter"),
                   ("Datenschutzeinstellungen",), ("Akzeptieren und weiterlesen", "Ohne Werbetracking lesen")],
        "byline": [("{author}, Berlin",), ("Ein Beitrag von {author}",), ("Stand: {date_num_de} {time} Uhr",),
                   (("foot",), ("{author} ist Korrespondent im Hauptstadtbüro von {site}.",)),
                   ("{author} | {date_num_de}",)],
        "share": [("Artikel verschenken",), ("Link kopieren", "Per E-Mail versenden", "Merken"),
                  ("Auf Facebook teilen", "Auf X teilen", "Per WhatsApp teilen"), (("foot",), ("Drucken",))],
        "photo-credit": [("Bildquelle: {photographer}/Imago",), ("Quelle: dpa",), ("Archivfoto",)],
        "toc": [("Übersicht", "@toc {entry}"), ("Auf dieser Seite", "@toc {i}. {entry}"),
                ("Springe zu", "@toc {entry}")],
        "ad": [("Anzeige – Artikel geht unten weiter",), (("inline",), ("Weiterlesen nach der Anzeige",)),
               ("Gesponsert",)],
        "related": [("Auch interessant", "@headlines {headline}"),
                    ("Aktuelle Beiträge", "@headlines {headline} · {ago}"),
                    ("Mehr aus dem Ressort {section}", "@headlines {headline}"),
                    ("Empfehlungen der Redaktion", "@headlines {i}. {headline}"),
                    (("inline",), ("Lesetipp: {headline}",)), (("inline",), ("Zum Thema: {headline}",))],
        "tags": [("Mehr zu: {tags}",), ("Themen dieses Artikels", "@tags {tag}"), ("Stichwörter | {tags_pipe}",)],
        "newsletter": [("Der Morgen-Newsletter", "Das Wichtigste des Tages, jeden Werktag um 6 Uhr in Ihrem Postfach.",
                        "E-Mail-Adresse eingeben", "Kostenlos anmelden", "Die Abmeldung ist jederzeit möglich."),
                       (("foot", "inline"),
                        ("Bleiben Sie informiert: Unser Newsletter liefert Ihnen die wichtigsten Nachrichten.",))],
        "comments": [("Zur Diskussion ({n} Beiträge)",), ("Jetzt mitdiskutieren",),
                     ("Die Kommentarfunktion ist für diesen Artikel geschlossen.",),
                     ("Bitte beachten Sie unsere Netiquette.", "Melden Sie sich an, um zu kommentieren."),
                     ("Leserdebatte", "Neueste zuerst")],
        "copyright": [("Impressum | Datenschutz | Kontakt | AGB",), ("{site} GmbH {year}",),
                      ("Nachdruck nur mit Genehmigung des Verlags.",), ("Alle Inhalte urheberrechtlich geschützt.",)],
        "repeated-title": [("{title} | {site}",), ("{title} – {site}",)],
    },
    "es": {
        "navigation": [("Portada > {section} > Congreso",), ("Estás en: Inicio / {section}",), (("foot",), ("Subir",))],
        "cookie": [("Usamos cookies propias y de terceros para mejorar nuestros servicios y mostrarle publicidad "
                    "relacionada con sus preferencias.", "Configurar", "Aceptar y continuar"),
                   (("foot",), ("Política de privacidad",))],
        "byline": [("{author} | Madrid",), ("Actualizado: {date_slash} - {time}",), ("Redacción {site}",),
                   (("foot",), ("{author} es periodista de la sección de {section} de {site}.",))],
        "share": [("Copiar enlace",), ("Compartir en WhatsApp", "Compartir en Facebook", "Enviar por correo"),
                  ("Guardar", "Imprimir")],
        "photo-credit": [("Fotografía: {photographer} (EFE)",), ("Imagen de archivo",), ("Europa Press",)],
        "toc": [("En este artículo", "@toc {entry}"), ("Ir a la sección", "@toc {i}. {entry}")],
        "ad": [("Contenido patrocinado",), (("inline",), ("Sigue leyendo tras la publicidad",)), ("Patrocinado",)],
        "related": [("Más noticias", "@headlines {headline}"), ("Lo último", "@headlines {headline} · {ago}"),
                    ("Te recomendamos", "@headlines {headline}"), ("Más en {section}", "@headlines {i}. {headline}"),
                    (("inline",), ("Le puede interesar: {headline}",)), (("inline",), ("Relacionado | {headline}",))],
        "tags": [("Archivado en: {tags}",), ("Más sobre: {tags}",), ("Temas relacionados", "@tags {tag}")],
        "newsletter": [("Recibe cada mañana las noticias más importantes en tu correo.", "Apúntate gratis",
                        "Puedes darte de baja en cualquier momento."),
                       ("Boletín diario", "Tu correo electrónico", "Quiero recibirlo")],
        "comments": [("Participa en la conversación",), ("{n} comentarios · Ordenar por: Más recientes",),
                     ("Los comentarios están cerrados.",), ("Inicia sesión para comentar",),
                     ("Normas de participación",)],
        "copyright": [("Aviso legal | Política de privacidad | Contacto",),
                      ("Prohibida la reproducción total o parcial sin autorización.",), ("{site} S.L. {year}",)],
        "repeated-title": [("{title} | {site}",)],
    },
}

SETS = {"tuning": TUNING, "heldout": HELDOUT}


@dataclass(frozen=True)
class Variant:
    id: str
    family: str
    where: tuple[str, ...]
    lines: tuple[str, ...]


def variants(template_set: str, lang: str) -> dict[str, list[Variant]]:
    """The variants of one set and language, by family."""
    out: dict[str, list[Variant]] = {}
    for family, specs in SETS[template_set][lang].items():
        for i, spec in enumerate(specs):
            if spec and isinstance(spec[0], tuple):
                where, lines = spec[0], spec[1]
            else:
                where, lines = DEFAULT_WHERE[family], spec
            assert all(isinstance(x, str) for x in lines) and all(isinstance(x, str) for x in where)
            out.setdefault(family, []).append(
                Variant(f"{template_set}/{lang}/{family}/{i}", family, tuple(where), tuple(lines)))  # type: ignore[arg-type]
    return out


def check_disjoint() -> None:
    """No line template (other than the bare title) is in both sets."""
    for lang in TUNING:
        a = {line for vs in variants("tuning", lang).values() for v in vs for line in v.lines}
        b = {line for vs in variants("heldout", lang).values() for v in vs for line in v.lines}
        shared = {line for line in a & b if line != "{title}" and not line.startswith("@")}
        assert not shared, f"{lang}: templates in both sets: {sorted(shared)}"
