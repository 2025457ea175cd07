"""The words of article pages the parser reads, in every language it knows: ONE table.

Each entry is a regular-expression fragment matched case-insensitively, as a whole heading or
line or as its opening words; `(?-i:...)` marks one that must match in lower case ("de", "di",
"y": short words that also open names). `sections.py` and `text.py` build their patterns from
`alternation(kind)`; a new language is one `Words` entry here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, fields
from functools import lru_cache


@dataclass(frozen=True)
class Words:
    """One language's words, by the part of a page they name."""

    faq: tuple[str, ...]  # heading of the FAQ
    about: tuple[str, ...]  # joins a heading to its topic: "FAQ about <topic>"
    more_about: tuple[str, ...]  # opens a "More about <topic>" heading (the topic follows)
    related: tuple[str, ...]  # heading of a related-posts / "read also" box
    end: tuple[str, ...]  # heading after which the story is over: the comments
    share: tuple[str, ...]  # heading of a share bar: the story is over unless it goes on after the bar
    boilerplate: tuple[str, ...]  # a whole line that is never story: ad labels, share prompts
    read_also: tuple[str, ...]  # opens an inline "Read also: <link to another story>" line
    byline: tuple[str, ...]  # opens a byline: "By", "Von", "Text:"
    conjunction: tuple[str, ...]  # between the last two author names
    credit: tuple[str, ...]  # opens a credit that is not the author's ("Photo:"), ending the byline


WORDS: dict[str, Words] = {
    "en": Words(
        faq=("frequently asked questions", "faqs?"),
        about=("about", "on"),
        more_about=("more (?:about|on)",),
        related=(
            "you (?:may|might) also like", "related(?: (?:posts|articles|stories|news|content|reading))?",
            "read (?:more|next|also)", "also read", "more stories", "recommended(?: for you)?", "see also",
        ),
        end=(
            r"leave a (?:comment|reply)", r"\d+ (?:comments?|responses?|replies)\b.*", "comments?", "like this:?",
        ),
        share=("share this(?: article| story| post)?:?", "share on .{1,20}", "share:?"),
        boilerplate=(
            "advertisements?", "sponsored(?: content)?", "share this(?: article| story| post)?", "click to share.*",
            "story continues below(?: advertisement)?", "continue reading below", "read more", "scroll to continue",
            "continue reading the main story", "(?:article|story) continues (?:below|after (?:the )?(?:ad|advertisement))",
            "advertisement[ -–—]+(?:scroll|continue) (?:down )?to continue(?: reading)?",
        ),
        read_also=("read (?:also|more|next)", "also read", "see also", "related"),
        byline=("(?:written|posted|reported|words|story) by", "by", "author:"),
        conjunction=("and",),
        credit=("photos?:", "photography:", "images?:", "illustrations?:", "video:"),
    ),
    "de": Words(
        faq=("häufig gestellte fragen", "häufige fragen", "fragen und antworten"),
        about=("zu", "zum", "zur", "über"),
        more_about=("mehr (?:zu|zum|zur|über)", "weitere artikel (?:zu|zum|zur|über)"),
        related=(
            "das könnte sie auch interessieren", "das könnte dich auch interessieren", "lesen sie auch",
            "lies auch", "auch interessant", "weitere artikel", "mehr zum thema", "ähnliche (?:artikel|beiträge)",
            "verwandte (?:artikel|beiträge|themen)", "empfohlene artikel", "weiterlesen",
        ),
        end=("kommentare?", r"\d+ kommentare?\b.*", "kommentar schreiben"),
        share=("jetzt teilen", "artikel teilen", "teilen:?"),
        boilerplate=("werbung", "anzeige", "jetzt teilen", "artikel teilen", "teilen", "weiterlesen", "mehr lesen",
                     "weiter nach der werbung", "artikel wird nach der anzeige fortgesetzt", "lesen sie nach der anzeige weiter"),
        read_also=("lesen sie auch", "lies auch", "auch interessant", "mehr zum thema"),
        byline=("(?:ein beitrag|ein artikel|geschrieben) von", "von(?! (?:der|dem|den)\\b)", "text:", "autor(?:in)?:"),
        conjunction=("(?-i:und)",),
        credit=("fotos?:", "bilder?:", "illustrationen?:"),
    ),
    "fr": Words(
        faq=("questions fréquentes", "questions fréquemment posées", "foire aux questions"),
        about=("sur",),
        more_about=("plus sur", "en savoir plus sur", "plus d'articles sur"),
        related=(
            "lire aussi", "à lire aussi", "lire également", "à lire également", "sur le même sujet",
            "articles similaires", "articles liés", "vous aimerez aussi", "vous aimerez peut-être aussi",
            "vous pourriez aussi aimer", "à découvrir aussi", "voir aussi", "lire la suite",
        ),
        end=("commentaires?", r"\d+ commentaires?\b.*", "laisser un commentaire"),
        share=("partager(?: cet article)?:?", "partagez(?: cet article)?:?"),
        boilerplate=("publicité", "partager(?: cet article)?", "lire la suite", "la suite après (?:la|cette) publicité"),
        read_also=("(?:à )?lire aussi", "(?:à )?lire également", "voir aussi"),
        byline=("(?:écrit|publié|rédigé) par", "par", "auteur:"),
        conjunction=("(?-i:et)",),
        credit=("photos?:", "crédits? photo:"),
    ),
    "es": Words(
        faq=("preguntas frecuentes",),
        about=("sobre", "de"),
        more_about=("más (?:sobre|de)",),
        related=(
            "leer más", "lee también", "lea también", "te puede interesar", "le puede interesar",
            "también te puede interesar", "noticias relacionadas", "artículos relacionados", "relacionad[oa]s?",
            "te recomendamos", "quizás te interese", "más noticias",
        ),
        end=("comentarios?", r"\d+ comentarios?\b.*", "deja un comentario"),
        share=("compartir(?: en .{1,20})?:?", "comparte:?"),
        boilerplate=("publicidad", "anuncio", "compartir", "comparte", "leer más"),
        read_also=("lee también", "lea también", "leer también", "leer más", "te puede interesar", "le puede interesar"),
        byline=("(?:escrito|publicado|redactado) por", "por", "autor:", "(?-i:de)"),
        conjunction=("(?-i:y)",),
        credit=("fotos?:", "fotografía:", "imágenes?:"),
    ),
    "it": Words(
        faq=("domande frequenti",),
        about=("su", "sul", "sulla"),
        more_about=("(?:di )?più su", "altro su", "altre notizie su"),
        related=(
            "leggi anche", "potrebbe interessarti", "ti potrebbe interessare", "articoli correlati",
            "notizie correlate", "correlati", "leggi di più", "potrebbero interessarti",
        ),
        end=("commenti", r"\d+ commenti\b.*", "lascia un commento"),
        share=("condividi(?: questo articolo)?:?",),
        boilerplate=("pubblicità", "condividi", "leggi anche"),
        read_also=("leggi anche", "leggi pure"),
        byline=("(?:scritto|pubblicato) da", "(?-i:di)", "autore:"),
        conjunction=("(?-i:e)",),
        credit=("foto:", "immagini:"),
    ),
    "pt": Words(
        faq=("perguntas frequentes",),
        about=("sobre",),
        more_about=("mais sobre",),
        related=(
            "leia também", "leia mais", "veja também", "você também pode gostar", "você pode gostar",
            "notícias relacionadas", "artigos relacionados", "posts relacionados", "relacionad[oa]s",
            "saiba mais",
        ),
        end=("comentários?", r"\d+ comentários?\b.*", "deixe um comentário"),
        share=("compartilh(?:e|ar):?", "partilh(?:e|ar):?"),
        boilerplate=("publicidade", "compartilhe", "compartilhar", "partilhe", "partilhar", "continua depois da publicidade"),
        read_also=("leia também", "leia mais", "veja também", "saiba mais"),
        byline=("(?:escrito|publicado) por", "por"),
        conjunction=("(?-i:e)",),
        credit=("fotos?:", "imagens?:"),
    ),
    "nl": Words(
        faq=("veelgestelde vragen", "veel gestelde vragen"),
        about=("over",),
        more_about=("meer over",),
        related=("lees ook", "lees meer", "gerelateerde (?:artikelen|berichten)", "gerelateerd", "dit vind je misschien ook leuk"),
        end=("reacties?", r"\d+ reacties?\b.*", "laat een reactie achter"),
        share=("delen:?", "deel dit artikel:?"),
        boilerplate=("advertentie", "delen", "deel dit artikel", "lees meer"),
        read_also=("lees ook", "lees meer"),
        byline=("geschreven door", "door"),
        conjunction=("(?-i:en)",),
        credit=("foto'?s?:", "beeld:"),
    ),
    "pl": Words(
        faq=("najczęściej zadawane pytania", "często zadawane pytania"),
        about=("o",),
        more_about=("więcej o",),
        related=(
            "czytaj (?:też|także|również|więcej)", "zobacz (?:też|także|również)", "przeczytaj (?:też|także|również)",
            "podobne artykuły", "powiązane artykuły", "polecane",
        ),
        end=("komentarze", r"\d+ komentarz(?:y|e)?\b.*", "dodaj komentarz"),
        share=("udostępnij:?",),
        boilerplate=("reklama", "udostępnij"),
        read_also=("czytaj (?:też|także|również)", "zobacz (?:też|także|również)", "przeczytaj (?:też|także|również)"),
        byline=("autor:", "przez"),
        conjunction=("(?-i:i)", "(?-i:oraz)"),
        credit=("fot\\.", "zdjęcia:"),
    ),
    "nordic": Words(  # Danish, Norwegian, Swedish
        faq=("ofte stilte spørsmål", "ofte stillede spørgsmål", "vanliga frågor"),
        about=("om",),
        more_about=("mere? om",),
        related=("les også", "læs også", "läs också", "relaterte saker", "relaterede artikler", "relaterade artiklar"),
        end=("kommentarer",),
        share=("del artikkelen:?", "del artiklen:?", "dela artikeln:?"),
        boilerplate=("annonse", "annonce", "annons"),
        read_also=("les også", "læs også", "läs också"),
        byline=("skrevet av", "skrevet af", "skriven av", "av", "af"),
        conjunction=("(?-i:og)", "(?-i:och)"),
        credit=("foto:", "bilde:", "billede:", "bild:"),
    ),
}

KINDS = tuple(f.name for f in fields(Words))

# Names that meta tags and JSON-LD give as the author but that are not a person's: the page's
# software, a platform, or an account name.
NOT_AUTHORS = frozenset({
    "google", "facebook", "twitter", "wordpress", "blogger", "admin", "administrator", "webmaster", "editor",
    "unknown", "anonymous", "null", "none",
})


@lru_cache(maxsize=None)
def alternation(kind: str) -> str:
    """The `kind` entries of every language as one non-capturing regex group, a space in an
    entry matching any run of whitespace."""
    entries = dict.fromkeys(e for words in WORDS.values() for e in getattr(words, kind))
    return "(?:" + "|".join(e.replace(" ", r"\s+") for e in sorted(entries, key=len, reverse=True)) + ")"


def compile_words(template: str, **kinds: str) -> re.Pattern:
    """`template` with each `{name}` replaced by `alternation(kind)`, compiled case-insensitively."""
    return re.compile(template.format(**{name: alternation(kind) for name, kind in kinds.items()}), re.IGNORECASE)


@lru_cache(maxsize=None)
def openers(kind: str) -> tuple[str, ...]:
    """The letters each `kind` entry must open with, lower-cased ("(?:written|posted) by" ->
    "written", "posted"): a cheap test before the regex, true for every text the regex matches."""
    found: dict[str, None] = {}
    for words in WORDS.values():
        for entry in getattr(words, kind):
            entry = entry.removeprefix("(?-i:")
            if entry.startswith("(?:"):
                heads = entry[3:entry.index(")")].split("|")
            else:
                heads = [re.match(r"[^\W\d_]*", entry).group()]
            found.update(dict.fromkeys(h.split(" ")[0].lower() for h in heads))
    if "" in found:
        raise ValueError(f"a {kind} entry opens with no letters")
    return tuple(found)
