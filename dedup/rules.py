"""The boilerplate catalogue: named rules, and the engine that applies them with positional evidence.

Rules were written from the kinds of widgets the web has, not from any one corpus: each family
(comment widgets, share bars, newsletter boxes, ...) lists the phrasings seen across sites in
several languages. A pattern always matches a *whole* passage (anchored), after the passage is
folded (NFKC, one kind of quote and dash, collapsed whitespace) and stripped of list bullets;
matching is case-insensitive unless a rule says otherwise.

Evidence beyond the pattern decides what is removed:

* ``max_words``: a passage longer than this that matches is kept and reported as a *suspect*:
  a long sentence that happens to mention a widget phrase is probably prose.
* ``zone``: where a rule may fire. The *head* is everything before the first prose paragraph, the
  *tail* everything after the last one; ``edge`` means either. Widgets cluster there.
* ``strength``: a *weak* rule (a lone "Toggle", "Reply", "in") fires only in the head or tail or
  right next to another removed passage; on its own in the body it is not evidence enough. A
  *context* rule fires only right next to another removed passage, wherever it is: its pattern
  alone (a comma-separated list of names) also fits real content such as tour dates.
* ``opens_list``: a header such as "Related articles" or "Table of contents" also takes the short,
  unpunctuated lines that follow it (the list it heads).
* Structural rules (no pattern) use the document's shape: a title printed again, a run of short
  headline-like lines after the last paragraph.

Every rule carries examples that must match and counterexamples that must survive; the tests run
both, and the README lists every rule (a test fails when one is missing).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Literal

import regex

from . import prefilter
from .config import Config, CustomRule, Zone
from .errors import ConfigError
from .model import Passage, Suspect, fast_init, replace
from .normalize import soft_fold

Strength = Literal["strong", "weak", "context"]

#: How long one pattern may take on one passage before the rule is reported as too slow.
MATCH_TIMEOUT = 1.0

_E = r"[\s.:!?…>»›→|\-\"]*"  # what may trail a widget label: punctuation, arrows, pipes
_N = r"(?:\s*[(\[]?\d[\d,.]*[kKmM]?[)\]]?)?"  # an optional count: "Comments (12)", "Comments 12"


@dataclass(frozen=True)
class Rule:
    """One named rule of the catalogue."""

    name: str
    category: str
    description: str
    patterns: tuple[str, ...] = ()  # empty: a structural rule implemented by the engine
    zone: Zone = "any"
    max_words: int = 12
    strength: Strength = "strong"
    opens_list: bool = False
    case_sensitive: bool = False
    enabled: bool = True
    examples: tuple[str, ...] = ()
    counterexamples: tuple[str, ...] = ()

    @property
    def structural(self) -> bool:
        return not self.patterns

    @cached_property
    def compiled(self) -> regex.Pattern[str] | None:
        if not self.patterns:
            return None
        # Simple case folding: full folding (ß = ss) costs a hook 50 ms of compile time for no widget.
        flags = regex.UNICODE | (0 if self.case_sensitive else regex.IGNORECASE)
        try:
            return regex.compile("|".join(f"(?:{p})" for p in self.patterns), flags)
        except regex.error as exc:
            raise ConfigError(f"rule '{self.name}': invalid pattern ({exc}); fix the regex") from None

    def matches(self, text: str) -> bool:
        """Whether the (folded, bullet-stripped) passage ``text`` is this rule's widget."""
        pattern = self.compiled
        if pattern is None:
            return False
        try:
            return pattern.fullmatch(text, timeout=MATCH_TIMEOUT) is not None
        except TimeoutError:
            raise ConfigError(
                f"rule '{self.name}': pattern took over {MATCH_TIMEOUT}s on one line; "
                "simplify it (avoid nested quantifiers) or disable the rule"
            ) from None


CATALOGUE: tuple[Rule, ...] = (
    # ---- comment widgets -------------------------------------------------------------------
    Rule(
        "comment-widget", "comments",
        "Comment-section headers, loaders and states: 'Comments', 'Loading comments...', "
        "'Leave a reply', 'Comments are closed', in English, German, French, Spanish, Italian, "
        "Portuguese, Dutch, Russian, Chinese, Japanese and Korean.",
        (
            r"(?:(?:reader|user|your|show|view|hide|read|see|load|load more|read all|see all|view all|"
            r"all|latest|top|newest|oldest|recent) )?comments?" + _N + _E,
            r"\d[\d,.]*[km]?\s*(?:comments?|replies|responses|kommentare?|commentaires?|comentarios?|commenti|"
            r"comentários|reacties|комментари\w*|条评论|件のコメント|개의 댓글)" + _E,
            r"(?:loading|load|show|view|sort|jump to|skip to|go to|scroll to) (?:the )?comments?(?: by)?"
            r"(?: \w+)?" + _E,
            r"(?:leave|post|add|write|submit|make|drop|start) (?:a|your|the first|us a) "
            r"(?:comment|reply|response)" + _E,
            r"leave a reply(?: cancel reply)?" + _E,
            r"(?:comments|commenting|discussion) (?:are|is) (?:now )?(?:closed|disabled|turned off|off)" + _E,
            r"be the first to (?:comment|reply|respond)" + _E,
            r"no (?:comments|replies|responses)(?: yet| so far)?" + _E,
            r"(?:there are )?no comments(?: yet)?(?:\. be the first.*)?",
            r"join the (?:conversation|discussion|debate)" + _E,
            r"view (?:the )?(?:discussion|comment) thread" + _E,
            r"(?:comment|commenting|community) (?:policy|guidelines|rules)" + _E,
            r"(?:kommentare?|kommentar schreiben|kommentieren|diskutieren sie mit|leserkommentare|"
            r"commentaires?|laisser un commentaire|ajouter un commentaire|réagir|réactions|"
            r"comentarios?|deja un comentario|dejar un comentario|deja tu comentario|escribe un comentario|"
            r"commenti|lascia un commento|scrivi un commento|comentários|deixe um comentário|"
            r"deixe seu comentário|reacties|reageer|plaats een reactie|комментарии|оставить комментарий|"
            r"комментировать|评论|發表評論|发表评论|留言|コメント|コメントする|댓글|댓글 달기)" + _N + _E,
        ),
        examples=("Comments", "Loading comments...", "COMMENTS (12)", "12 Comments", "Leave a Reply",
                  "Comments are closed.", "Be the first to comment!", "Kommentare", "Laisser un commentaire",
                  "Deja un comentario", "コメント", "View all comments →", "Join the discussion", "370 comentarios"),
        counterexamples=("Comments from the CEO suggest the deal is off.",
                         "The company declined to comment on the report.",
                         "Readers left hundreds of comments under the post, most of them angry."),
    ),
    Rule(
        "comment-prompt", "comments",
        "Generic questions that close an article and invite comments: 'What do you think?', "
        "'Thoughts?', 'Qu'en pensez-vous ?'. Weak evidence: removed in the head or tail or next to "
        "other widgets only, since the body may ask the same question rhetorically.",
        (
            r"(?:so,? )?(?:what do you think|what are your thoughts|what's your take|what is your opinion|"
            r"what's your opinion|what say you|thoughts|your thoughts|agree or disagree|do you agree|"
            r"how do you feel about (?:this|it)|was meint ihr|was meinen sie|was denken sie|"
            r"qu'en pensez-vous|et vous,? qu'en pensez-vous|¿?qué opinas|¿?y tú qué opinas|¿?qué te parece|"
            r"cosa ne pensate|cosa ne pensi|o que você acha|e você,? o que acha|wat vind jij|wat vindt u|"
            r"你怎么看|你怎麼看|どう思いますか)\s*[?？!.…]*",
        ),
        zone="any", strength="weak", max_words=10,
        examples=("What do you think?", "Thoughts?", "Qu'en pensez-vous ?", "So, what do you think?"),
        counterexamples=("What do you think about when you think of Meta?",
                         "“What do you think?” she asked the panel, before answering herself."),
    ),
    Rule(
        "comment-call", "comments",
        "Calls to comment that name the comment section: 'Let us know in the comments below', "
        "'Want to join the conversation?', 'Share your thoughts in the comments'.",
        (
            r"(?:want|like|care) to (?:join|start) the (?:conversation|discussion|debate)\s*[?!.]*",
            r".{0,80}\b(?:in|into|to) the comments?(?: section)?(?: below| down below)?\s*[.!?…]*",
            r"(?:let us know|tell us|share your thoughts|sound off|weigh in|have your say|join the debate)"
            r"(?: (?:below|here|now|what you think))?.{0,60}[.!?…]*",
            r"(?:sign|log) in (?:or (?:register|sign up) )?to (?:comment|reply|join the conversation|post)"
            r".{0,40}",
            r"you must be (?:logged|signed) in to (?:post a )?(?:comment|reply).{0,40}",
        ),
        max_words=25,
        examples=("Want to join the conversation?", "Let us know in the comments below!",
                  "Share your thoughts in the comments.", "Sign in to comment",
                  "Tell us what you think"),
        counterexamples=("He wanted to join the conversation about AI safety before the vote, he said.",
                         "The comments section of the video filled with questions about the model."),
    ),
    Rule(
        "comment-form", "comments",
        "The comment form's fixed text: 'Your email address will not be published', 'Required fields "
        "are marked *', 'Cancel reply', 'Notify me of follow-up comments', 'Post comment'.",
        (
            r"your email address will not be published\.?(?: required fields are marked \*?)?.{0,20}",
            r"required fields are marked\s*\*?\.?",
            r"save my name,? email,? and website in this browser for the next time i comment\.?",
            r"notify me of (?:new|follow-up|followup) (?:comments|posts|replies).{0,40}",
            r"(?:cancel reply|post comment|submit comment|post reply|add comment)" + _E,
            r"(?:name|email|e-mail|website|comment)\s*\*" + _E,
            r"\d+ (?:thoughts|responses|replies|comments) (?:on|to) .{1,160}",
            r"this site uses akismet to reduce spam\b.{0,120}",
        ),
        max_words=30,
        examples=("Your email address will not be published. Required fields are marked *", "Cancel reply",
                  "3 thoughts on “Meta’s new model”", "Email *"),
        counterexamples=("Email remains the most common way readers reach the newsroom.",),
    ),
    Rule(
        "comment-reply", "comments",
        "Single-word comment controls: 'Reply', 'Like', 'Report', 'Share', counts of likes/replies; "
        "weak (only next to other widgets, or in the head or tail).",
        (r"(?:reply|replies|like|likes|report|flag|upvote|downvote|permalink|edit|delete|"
         r"antworten|répondre|responder|rispondi)" + _N + _E,
         r"\d[\d,.]*[km]? (?:likes?|replies|upvotes|points|shares|views|reads|retweets)" + _E),
        strength="weak", max_words=4,
        examples=("Reply", "12 likes", "Report"),
        counterexamples=("Reply hazy, try again.",),
    ),
    # ---- hashtags and tags -------------------------------------------------------------------
    Rule(
        "hashtag-line", "tags",
        "A line made only of hashtags ('#AI #FutureTech #Innovation'); one hashtag alone only in the "
        "tail. A hashtag inside a title ('AI-RTZ #1052') is not a hashtag line.",
        (r"(?:#[\p{L}\p{N}_]*\p{L}[\p{L}\p{N}_]*[\s,;·|/]*){2,}",),
        max_words=60,
        examples=("#AI #FutureTech #Innovation", "#Meta, #AI, #MuseSpark"),
        counterexamples=("AI: Meta's closed Muse Spark enters the arena. AI-RTZ #1052",
                         "# Heading in Markdown", "We ranked #1 and #2 in the survey."),
    ),
    Rule(
        "hashtag-single", "tags", "A single hashtag on its own line after the last paragraph.",
        (r"#[\p{L}\p{N}_]*\p{L}[\p{L}\p{N}_]*",),
        zone="tail", max_words=2,
        examples=("#AI",), counterexamples=("#1052",),
    ),
    Rule(
        "tag-label", "tags",
        "Labelled tag and category lists: 'Tags: AI, Meta', 'Filed under: Tech', 'Posted in News', "
        "'Schlagworte: ...', 'Étiquettes : ...'.",
        (r"(?:tags?|tagged(?: with| as)?|topics?|categories|category|filed under|posted in|labels?|"
         r"keywords|related topics|more about|schlagworte|schlagwörter|themen|stichworte|étiquettes|"
         r"mots-clés|mots clés|catégories?|rubriques?|etiquetas|temas|categorías|argomenti|categorie|"
         r"parole chiave|marcadores|etiketten|onderwerpen|标签|標籤|分类|タグ|カテゴリー|теги|метки|태그)"
         # possessive \s*+: spaces after a separator belong to it, so a long tag list splits one way only
         r"\s*[:：]\s*+[^.!?,;|·•/]{1,40}(?:[,;|·•/]\s*+[^.!?,;|·•/]{1,40}){0,40}[\s,;|·•/]*",
         r"(?:posted|filed) in [^.!?]{1,120}"),
        max_words=40,
        examples=("Tags: AI, Meta, Muse Spark", "Filed under: Technology", "Schlagworte: KI, Meta",
                  "Filed under: Syi'ah |"),
        counterexamples=("Topics: the board will discuss three of them at the next meeting, it said today.",),
    ),
    Rule(
        "tag-list", "tags",
        "A bare list of three or more short category names (one to three words, no digits) separated "
        "by commas, pipes or bullets, next to another removed widget ('Artificial Intelligence, Cloud, "
        "Cybersecurity' under a hashtag line). Context only: alone, the same shape is often content.",
        (r"(?:[^\W\d_][^\s,.!?;:|·•/\d]*(?: [^\W\d_][^\s,.!?;:|·•/\d]*){0,2})"
         r"(?:\s*[,|·•/]\s*[^\W\d_][^\s,.!?;:|·•/\d]*(?: [^\W\d_][^\s,.!?;:|·•/\d]*){0,2}){2,15}",
         r"(?:[^\W\d_][^\s,.!?;:|·•/\d]*(?: [^\W\d_][^\s,.!?;:|·•/\d]*){0,2})"
         r"(?:\s*[|·•]\s*[^\W\d_][^\s,.!?;:|·•/\d]*(?: [^\W\d_][^\s,.!?;:|·•/\d]*){0,2}){1,15}"),
        zone="edge", strength="context", max_words=30,
        examples=("Artificial Intelligence, Cloud, Cybersecurity", "News | Tech | AI"),
        counterexamples=("The model is fast, cheap, and good enough.", "June 17 -- Bridgestone Arena, Nashville, TN",
                         "Gronk, Serena perform with Laker Girls"),
    ),
    # ---- related-article links -----------------------------------------------------------------
    Rule(
        "related-header", "related",
        "Headers of related-article, most-popular and recommendation lists ('Related articles', "
        "'You may also like', 'Most popular', 'Lesen Sie auch', 'À lire aussi', '延伸閱讀'); the short "
        "lines they head are removed with them.",
        (r"(?:related|more|see more|most read in \S.{0,40}|related (?:articles?|stories|posts|content|coverage|"
         r"news|reading|topics|links|videos|reads)|more (?:stories|articles|news|headlines|coverage|"
         r"on this(?: story| topic)?|like this|to read|"
         r"from \S.{0,40}|in \S.{0,30})|you (?:may|might) (?:also )?(?:like|enjoy|be interested in)|"
         r"recommended(?: for you| reading| articles| stories| videos)?|read (?:more|next|also|this next)|"
         r"also read|see also|further reading|what to read next|don't miss|must reads?|editor'?s'? picks?|"
         r"top stories|trending(?: now| stories| articles| topics)?|most (?:popular|read|viewed|shared|"
         r"commented|emailed)|popular (?:posts|stories|articles|now|on \S.{0,30})|latest (?:news|stories|"
         r"articles|posts|videos)|in case you missed it|icymi|around the web|from the web|"
         r"(?:sponsored|promoted|partner) (?:stories|links|content)|lesen sie auch|mehr zum thema|"
         r"das könnte sie auch interessieren|weitere artikel|meistgelesen|am meisten gelesen|à lire aussi|"
         r"a lire aussi|lire aussi|voir aussi|sur le même sujet|les plus lus|à lire également|"
         r"te puede interesar|lee también|leer más|noticias relacionadas|lo más leído|leggi anche|"
         r"potrebbe interessarti|articoli correlati|i più letti|veja também|leia também|leia mais|"
         r"mais lidas|notícias relacionadas|lees ook|meer over|gerelateerde artikelen|延伸阅读|延伸閱讀|"
         r"相关文章|相關文章|相关阅读|相關閱讀|推荐阅读|推薦閱讀|相關報導|相关报道|関連記事|読まれている記事|"
         r"читайте также|по теме|관련기사|관련 기사)" + _E,),
        opens_list=True,
        examples=("Related Articles", "You may also like", "Most Popular", "READ MORE", "Lesen Sie auch",
                  "À lire aussi", "延伸閱讀", "More from Reuters"),
        counterexamples=("Related companies also rose on the news.", "Read more about the model below, he wrote."),
    ),
    Rule(
        "related-link", "related",
        "A labelled link to another article: 'Related: ...', 'READ MORE: ...', 'See also: ...', "
        "'Lesen Sie auch: ...', 'Lire aussi : ...'.",
        (r"(?:related|related (?:article|story|post|coverage)|read more|read also|also read|read next|"
         r"see also|see more|recommended|editor's pick|don't miss|must read|watch|watch now|listen|"
         r"lesen sie auch|mehr zum thema|lire aussi|à lire aussi|voir aussi|lee también|leer más|"
         r"leggi anche|leia também|veja também|lees ook|延伸阅读|延伸閱讀|相关|相關|関連)\s*[:：»›>|]\s*\S.{0,250}",),
        max_words=30,
        examples=("Related: Meta unveils Muse Spark", "READ MORE: The AI race heats up", "SEE MORE: Meta's glasses",
                  "Lire aussi : Meta dévoile son modèle"),
        counterexamples=("More: the company plans to spend $135 billion on AI this year and next, "
                         "according to its filings with regulators and statements by executives.",),
    ),
    Rule(
        "related-parenthetical", "related",
        "A whole line in brackets that links elsewhere under a label: '(Background: ...)', "
        "'(Additional context: ...)', '(Related: ...)', '(延伸閱讀：...)'.",
        (r"[(\[（【]\s*(?:background|background reading|additional context|more context|context|related|"
         r"related reading|related article|related story|read more|read also|also read|see also|"
         r"further reading|previously|recommended|recommended reading|more on this|extended reading|"
         r"延伸阅读|延伸閱讀|背景|背景补充|背景補充|相关报道|相關報導|推荐阅读|推薦閱讀|"
         r"lesen sie auch|hintergrund|lire aussi|voir aussi|lee también|leggi anche|leia também)"
         r"\s*[:：]\s*[^)\]）】]{1,500}[)\]）】]",),
        max_words=80,
        examples=("(Background: IG launched a paid subscription! Meta has started testing subscriber accounts)",
                  "(Related: Meta smart glasses face a lawsuit)", "（延伸閱讀：Meta 推出新模型）"),
        counterexamples=("(NOTE: The discussions here are for information purposes only.)",
                         "(Reuters) - Meta on Wednesday released a new model."),
    ),
    Rule(
        "continue-reading", "related",
        "'Read more'-style links that lead away from the text: 'Continue reading', 'Read the full "
        "story', 'Click here to read more', 'Weiterlesen', 'Lire la suite'.",
        (r"(?:continue reading|keep reading|read the (?:full|whole|rest of the|original) "
         r"(?:story|article|post|report|piece)(?: here| at \S.{0,40}| on \S.{0,40})?|read (?:full|the full) "
         r"(?:story|article)|click here to read(?: more| the full (?:story|article))?|read more here|"
         r"view (?:the )?original (?:article|post)|weiterlesen|mehr lesen|lire la suite|leer más|"
         r"sigue leyendo|continua a leggere|leggi tutto|continue lendo|lees verder|阅读全文|閱讀全文|"
         r"続きを読む|читать далее)" + _E,),
        examples=("Continue reading", "Read the full story here", "Weiterlesen »", "Lire la suite"),
        counterexamples=("Continue reading the report and you find a different story.",),
    ),
    Rule(
        "list-after-header", "related",
        "Structural: the short, unpunctuated lines right after a list header ('Related articles', "
        "'Table of contents'): the headlines or entries it heads.",
    ),
    Rule(
        "tail-links", "related",
        "Structural: after the last prose paragraph, short unpunctuated headline-like lines (three or "
        "more words, mostly capitalised) that follow a removed widget or are printed twice (related-"
        "article cards) are a related-article block. Other short closing lines are kept as suspects.",
    ),
    Rule(
        "page-body", "position",
        "Structural, off by default (enable it for whole pages rendered as text, not for extracted "
        "articles): everything before and after the page's main text block, the run of passages "
        "with the most running text (long lines that end like sentences and are dense in function "
        "words, less short lines and widgets); the first comment header after it opens the comment "
        "thread, which is not the body. Nothing is removed when no passage reads as running text.",
        enabled=False,
    ),
    Rule(
        "edge-run", "position",
        "Structural: in the head (after the title) or the tail, a run of short lines that do not end a "
        "sentence, with removed widgets on both sides (the title or the document's end counts as a side), "
        "is part of the widget block: the links of an unnamed list, a byline between the title and a "
        "share bar, tags one per line. Runs touching a prose paragraph are kept.",
    ),
    # ---- table of contents -----------------------------------------------------------------------
    Rule(
        "toc-header", "toc",
        "Table-of-contents widgets: 'Table of contents', 'In this article', 'Jump to', "
        "'Inhaltsverzeichnis', 'Sommaire', 'Índice', '目錄'; the entries that follow go with it.",
        (r"(?:table of contents|contents|toc|in this (?:article|story|post|guide|piece)|on this page|"
         r"jump to(?: section)?|article contents|quick links|inhaltsverzeichnis|inhalt|sommaire|"
         r"table des matières|índice|contenido|índice de contenidos|tabla de contenidos|indice|sommario|"
         r"conteúdo|inhoudsopgave|目录|目錄|文章目录|目次|содержание|оглавление|목차)" + _E
         + r"(?:\s*(?:toggle|show|hide|\[(?:show|hide)\]))?",),
        opens_list=True, max_words=8,
        examples=("Table of contents", "Table of Contents [hide]", "In this article:", "Inhaltsverzeichnis", "目錄"),
        counterexamples=("The contents of the filing were not made public.",),
    ),
    Rule(
        "toc-toggle", "toc",
        "The toggle button of a collapsible widget: 'Toggle', '[hide]', 'Show/Hide', 'Expand all'; "
        "weak (only next to another widget, or in the head or tail).",
        (r"[\[(]?(?:toggle|show|hide|show/hide|hide/show|show more|show less|expand|collapse|expand all|"
         r"collapse all|toggle (?:table of contents|navigation|menu)|open|close|ausklappen|einklappen|"
         r"afficher|masquer|mostrar|ocultar|mostra|nascondi|展开|收起)[\])]?" + _E,),
        strength="weak", max_words=4,
        examples=("Toggle", "[hide]", "Show/Hide"), counterexamples=("Toggle the switch to enable it.",),
    ),
    # ---- share bars ----------------------------------------------------------------------------
    Rule(
        "share-bar", "share",
        "Share and follow bars: lines made only of share verbs and network names ('Share this "
        "article', 'Share on Facebook', 'Facebook Twitter LinkedIn Email', 'Teilen', 'Partager').",
        (r"(?:(?:share|share this|share this (?:article|story|post|page|video)|share on|share via|share to|"
         r"share with|tweet|tweet this|pin it|pin|email|e-mail|mail|print|copy link|copy url|copy|"
         r"link copied|copied|facebook|twitter|x|linkedin|whatsapp|telegram|reddit|pinterest|tumblr|"
         r"flipboard|messenger|threads|bluesky|mastodon|xing|vk|weibo|wechat|line|pocket|sms|"
         r"hacker news|google\+?|teilen|partager|compartir|condividi|compartilhar|delen|分享|シェア|"
         r"поделиться|공유)[\s,|·•/:]*){2,16}",
         r"(?:share|share this|share this (?:article|story|post|page|video|on|via)|teilen|artikel teilen|"
         r"partager|partager cet article|compartir|condividi|compartilhar|delen|分享|分享到|シェア|"
         r"поделиться|공유하기)" + _E,
         r"click to (?:share|email|print|tweet|pin)\b.{0,80}",
         r"\(?opens in (?:a )?new (?:window|tab)\)?",
         r"follow (?:us|me|him|her|them|@\S+)(?: on| at)? (?:\S+ ?){1,6}" + _E,
         r"follow (?:\S+ ){0,3}on (?:twitter|x|facebook|instagram|linkedin|tiktok|youtube|threads|bluesky|"
         r"mastodon|snapchat)\b.{0,160}",
         r"subscribe to .{1,60} on (?:youtube|twitter|x|facebook|instagram|linkedin|tiktok|spotify|apple podcasts)"
         r"\b.{0,160}",
         r"sorry, your blog cannot share posts by e-?mail\.?|post was not sent - check your e-?mail addresses!?|"
         r"e-?mail check failed, please try again"),
        max_words=20,
        examples=("Share this article", "Facebook Twitter LinkedIn Email", "Share on X",
                  "Click to share on Facebook (Opens in new window)", "Teilen", "Follow us on Twitter",
                  "Follow Newsbeat on Instagram, Facebook and Twitter.",
                  "Subscribe to 9to5Mac on YouTube for more Apple news:"),
        counterexamples=("Share prices rose 4% on the news.", "Facebook and Twitter both declined to comment.",
                         "Print sales fell for the tenth year in a row."),
    ),
    Rule(
        "share-network", "share",
        "A lone network name or 'Email' / 'Print' on its own line; weak (only beside other widgets or "
        "in the head or tail).",
        (r"(?:facebook|twitter|x|linkedin|whatsapp|telegram|reddit|pinterest|email|e-mail|print|"
         r"instagram|youtube|tiktok|rss|flipboard|threads|bluesky|mastodon)" + _E,),
        strength="weak", max_words=2,
        examples=("Facebook", "Email"), counterexamples=("Facebook is testing a new feed.",),
    ),
    # ---- newsletter and subscription boxes -------------------------------------------------------
    Rule(
        "newsletter", "newsletter",
        "Newsletter and subscription boxes: 'Sign up for our newsletter', 'Get the latest news "
        "delivered to your inbox', 'Subscribe now', 'Thanks for signing up', 'By subscribing you "
        "agree to our Privacy Policy', 'Newsletter abonnieren', 'Inscrivez-vous à notre newsletter'.",
        (r"(?:sign up|signup|subscribe|join|get|receive|enter your email|never miss|stay (?:up to date|"
         r"updated|informed|in the loop|ahead)|don't miss|want more)\b.{0,200}\b(?:newsletters?|inbox|"
         r"email updates|mailing list|daily briefing|weekly briefing|digest|email alerts?)\b.{0,200}",
         r"(?:the |our |free |daily |weekly |email )*(?:newsletter|newsletters)(?: sign-?up)?" + _E,
         r"(?:subscribe|sign up|sign up now|subscribe now|subscribe today|subscribe for free|"
         r"subscribe here|join now|join free|get the newsletter|start your free trial|already a subscriber\??"
         r"(?: (?:sign|log) in)?|become a (?:member|subscriber)|support our journalism)" + _E,
         r"thanks? (?:you )?for (?:signing up|subscribing|registering)\b.{0,160}",
         r"you(?:'re| are) (?:now |all )?(?:subscribed|signed up|on the list)\b.{0,160}",
         r"(?:check|keep an eye on) your inbox\b.{0,160}",
         r".{0,80}\berror processing your subscription\b.{0,80}",
         r"no spam\b.{0,160}", r".{0,120}\bunsubscribe (?:at any time|anytime)\b.{0,120}",
         r"by (?:signing up|subscribing|clicking|registering|entering your email)\b.{0,300}"
         r"\b(?:terms|privacy|agree|consent)\b.{0,300}",
         r"(?:enter your |your )?e-?mail(?: address)?\s*\*?" + _E,
         r"(?:newsletter abonnieren|jetzt abonnieren|abonnieren|zum newsletter anmelden|s'abonner|"
         r"abonnez-vous|inscrivez-vous\b.{0,100}newsletter.{0,60}|recevez notre newsletter.{0,100}|"
         r"suscríbete\b.{0,100}|suscribirse|iscriviti\b.{0,100}|assine\b.{0,100}|inscreva-se\b.{0,100}|"
         r"abonneer\b.{0,100}|订阅.{0,50}|訂閱.{0,50}|購読.{0,50}|подписаться.{0,50}|подпишитесь.{0,80})" + _E),
        max_words=45,
        examples=("Sign up for our newsletter", "Get the latest tech news delivered to your inbox every morning.",
                  "Subscribe now", "Thanks for signing up!", "Newsletter", "Enter your email address",
                  "By signing up, you agree to our Terms of Use and Privacy Policy.",
                  "Inscrivez-vous à notre newsletter", "Newsletter abonnieren",
                  "There was an error processing your subscription.",
                  "No spam, we promise. You can unsubscribe at any time and we'll never share your details."),
        counterexamples=("Subscribers get the newsletter in their inbox every Monday, the company said.",
                         "Get ready: the company will email customers about the change next week.",
                         "The newsletter business has boomed since 2020, with Substack leading the way."),
    ),
    # ---- ads ---------------------------------------------------------------------------------
    Rule(
        "ad-marker", "ads",
        "Ad slots and sponsorship labels: 'Advertisement', 'Sponsored content', 'Story continues below "
        "advertisement', 'Anzeige', 'Publicité', 'Publicidad'.",
        (r"(?:advertisement|advertisements|advertising|ad|ads|sponsored|sponsored content|sponsored post|"
         r"sponsored by \S.{0,60}|paid (?:content|post|partnership|promotion)|partner content|"
         r"promoted(?: content| stories)?|presented by \S.{0,60}|in partnership with \S.{0,60}|"
         r"(?:story|article) continues (?:below|after (?:this )?(?:ad|advertisement))(?: advertisement)?|"
         r"continue reading (?:below|the main story)|scroll (?:down )?to continue(?: with content)?|"
         r"skip (?:this )?ad|ad feedback|report (?:this )?ad|advertise with us|"
         r"anzeige|werbung|publicité|publicidad|pubblicità|publicidade|advertentie|реклама|广告|廣告|広告|광고)"
         + _E,),
        max_words=14,
        examples=("Advertisement", "ADVERTISEMENT", "Story continues below advertisement", "Anzeige",
                  "Sponsored by Acme", "Scroll to continue with content"),
        counterexamples=("Advertising revenue rose 20% in the quarter.",),
    ),
    # ---- photo credits --------------------------------------------------------------------------
    Rule(
        "photo-credit", "credits",
        "Photo and image credits: 'Photo: Jane Doe/Getty Images', 'Image credit: Meta', '(Photo by "
        "...)', 'Foto: dpa', 'Bild: ...', 'hide caption', 'Image 3 of 12'.",
        (r"[(\[]?\s*(?:photo|photos|photograph|photography|image|images|picture|pictures|foto|fotos|"
         r"bild|bilder|credit|credits|photo credit|image credit|image source|illustration|"
         r"illustration by|photo illustration|crédit photo|crédits|créditos|fonte|foto di|credito)"
         r"(?:\s*[:：|/©]|\s+by\b|\s+courtesy of\b|\s+via\b|\s+-\s)\s*\S.{0,150}",
         r"(?:toggle|hide|show) caption|enlarge this image|expand image|view (?:the )?(?:gallery|slideshow)"
         r"|image \d+ (?:of|/) \d+|\d+ (?:of|/) \d+ (?:photos|images)|(?:open|view) (?:image|photo) in (?:a )?"
         r"(?:new window|lightbox|full screen)",
         r".{0,240}(?:\(|\[|\||/|©|\bcredits?\b|\b(?:photo|foto|image|picture|bild)s?\b[^()\[\]]{0,20}?(?::|\bby\b))"
         r"\s*[^()\[\]]{0,60}\b(?:getty images|afp|reuters|"
         r"ap photo|associated press|shutterstock|istock(?:photo)?|epa(?:-efe)?|dpa|alamy|unsplash|pexels|"
         r"imago|picture alliance|keystone|anadolu(?: agency)?|xinhua|bloomberg|nurphoto|sopa images)"
         r"\b[^()\[\]]{0,40}[)\]]?"),
        max_words=16,
        examples=("Photo: Jane Doe/Getty Images", "(Photo by Justin Sullivan/Getty Images)",
                  "Image credit: Meta", "hide caption", "Foto: dpa", "Image 3 of 12",
                  "Mark Zuckerberg in 2024. (AP Photo/Jeff Chiu)"),
        counterexamples=("Alcaraz Masats: «En España, si consideramos la EPA…»",
                         "Pictures of the launch spread quickly on social media after the event.",
                         "Image generation is one of the model's strongest features, according to Meta.",
                         "(Reuters) - Meta on Wednesday released a new model, Muse Spark."),
    ),
    # ---- legal footers ----------------------------------------------------------------------------
    Rule(
        "copyright", "legal",
        "Copyright and rights footers: '© 2026 Example Media. All rights reserved.', 'Copyright ...', "
        "'This material may not be published, broadcast, rewritten or redistributed', in several languages.",
        (r"(?:©|\(c\))\s*.{0,200}",
         r"copyright\s*(?:©|\(c\)|(?:©\s*)?\d{4}\b).{0,200}",
         r".{0,200}\b(?:all rights reserved|alle rechte vorbehalten|tous droits réservés|"
         r"todos los derechos reservados|tutti i diritti riservati|todos os direitos reservados|"
         r"alle rechten voorbehouden)\b.{0,100}",
         r".{0,40}(?:版权所有|版權所有|無断転載|著作権).{0,100}",
         r".{0,80}\bmay not be (?:published|reproduced|broadcast|rewritten|redistributed|copied)\b.{0,200}"),
        max_words=40,
        examples=("© 2026 Example Media. All rights reserved.", "Copyright 2025 The Associated Press.",
                  "This material may not be published, broadcast, rewritten or redistributed.",
                  "Alle Rechte vorbehalten."),
        counterexamples=("Copyright law is at the centre of the lawsuits against AI companies, which "
                         "argue that training on published books is fair use under current law.",),
    ),
    Rule(
        "disclaimer", "legal",
        "Disclaimers and disclosures: 'This article is for informational purposes only', 'not "
        "investment advice', 'The views expressed are those of the author', affiliate-link notices. "
        "Long sentences that match are kept as suspects.",
        (r".{0,200}\b(?:for (?:general )?information(?:al)? purposes only|not (?:intended|meant) (?:as|to be)"
         r" (?:investment|financial|legal|tax|medical) advice|does not constitute (?:investment|financial|"
         r"legal) advice|should not be (?:construed|considered|taken) as .{0,40}advice|"
         r"(?:views|opinions) expressed (?:here|herein|in this (?:article|post|piece))? ?are (?:those of|solely)|"
         r"we may (?:earn|receive) (?:a |an affiliate )?commission|contains? affiliate links?|affiliate links? "
         r"(?:in|on) this|as an amazon associate)\b.{0,300}",
         r"(?:disclaimer|disclosure|affiliate disclosure)" + _E),
        max_words=20,
        examples=("This article is for informational purposes only.",
                  "Disclosure: we may earn a commission when you buy through links on our site.",
                  "Disclaimer"),
        counterexamples=("The model is free to use, though Meta may impose rate limits.",),
    ),
    Rule(
        "cookie-notice", "legal",
        "Cookie and consent banners: 'We use cookies to improve your experience', 'Accept all "
        "cookies', 'Manage preferences', 'Wir verwenden Cookies', 'Ce site utilise des cookies'.",
        (r".{0,120}\b(?:we use cookies|this (?:web)?site uses cookies|uses cookies to|by continuing to (?:use|"
         r"browse)|wir verwenden cookies|diese website verwendet cookies|ce site utilise des cookies|"
         r"nous utilisons des cookies|utilizamos cookies|este sitio (?:web )?utiliza cookies|"
         r"questo sito utilizza (?:i )?cookie|usamos cookies)\b.{0,300}",
         r"(?:accept|reject|decline|allow|deny) (?:all )?(?:cookies|tracking)?" + _E,
         r"(?:cookie|privacy) (?:settings|policy|preferences|notice|consent)" + _E,
         r"manage (?:cookie )?(?:preferences|settings|consent)" + _E,
         r"(?:alle )?(?:cookies )?akzeptieren|tout accepter|aceptar (?:todas )?(?:las )?cookies"),
        max_words=60,
        examples=("We use cookies to improve your experience on our site.", "Accept all cookies",
                  "Cookie Policy", "Wir verwenden Cookies, um unsere Website zu verbessern."),
        counterexamples=("Regulators want sites to stop tracking users without asking first.",),
    ),
    # ---- bylines, dates, reading time ------------------------------------------------------------
    Rule(
        "byline", "byline",
        "Author lines before the first or after the last paragraph: 'By Jane Doe', 'By Jane Doe and "
        "John Roe | Reuters', 'Written by ...', 'Von ...', 'Par ...', 'Por ...'. Case-sensitive on "
        "the name, so 'By 2030, ...' is not a byline.",
        (r"(?i:by|written by|posted by|published by|words by|story by|reporting by|text by|von|par|por|"
         r"door|автор)\s+\p{Lu}[\p{L}'.-]*(?:\s+(?:\p{Lu}[\p{L}'.-]*|van|von|de|der|da|di|la|le|del|bin|al))"
         r"{0,4}(?:\s*(?:,|(?i:and|&|und|et|y|e|i))\s*\p{Lu}[\p{L}'.-]*(?:\s+\p{Lu}[\p{L}'.-]*){0,3})*"
         r"(?:\s*[,|·•-]\s*.{0,80})?",
         r"(?i:reporting by|editing by|additional reporting by|writing by)\s+.{1,200}"),
        zone="edge", case_sensitive=True, max_words=24,
        examples=("By Jane Doe", "By Jane Doe and John Roe | Reuters", "Von Max Mustermann",
                  "Por Carles Campuzano i Canadés",
                  "Reporting by Katie Paul; Editing by Jamie Freed"),
        counterexamples=("By 2030, the company expects to double its capacity.",
                         "by the time the model shipped, rivals had moved on"),
    ),
    Rule(
        "dateline", "byline",
        "Publication and update stamps before the first or after the last paragraph: 'Published: "
        "April 8, 2026', 'Updated 3 hours ago', 'April 8, 2026 at 10:00 am', 'Veröffentlicht am ...'.",
        (r"(?:published|updated|posted|last updated|last modified|first published|modified|"
         r"veröffentlicht|aktualisiert|publié|mis à jour|publicado|actualizado|pubblicato|aggiornato|"
         r"gepubliceerd|bijgewerkt)(?: on| at| am| le| el| il)?\s*[:：]?\s*"
         r"(?=.{0,40}(?:\d|\bago\b|yesterday|today|heute|gestern|hier|aujourd'hui|ayer|hoy|ieri|oggi))\S.{0,60}",
         r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)"
         r"[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}(?:,?\s+(?:at\s+)?\d{1,2}:\d{2}\s*(?:am|pm|a\.m\.|p\.m\.)?"
         r"(?:\s+[a-z]{2,5})?)?",
         r"\d{1,2}(?:st|nd|rd|th)?\.?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|januar|"
         r"februar|märz|mai|juni|juli|oktober|dezember|janvier|février|mars|avril|juin|juillet|août|"
         r"septembre|octobre|novembre|décembre|enero|febrero|marzo|abril|mayo|junio|julio|agosto|"
         r"septiembre|octubre|noviembre|diciembre)[a-zé]*\.?,?\s+\d{4}(?:,?\s+\d{1,2}[:.]\d{2}(?:\s*uhr)?)?",
         r"\d{4}-\d{2}-\d{2}(?:[ t]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:z|[+-]\d{2}:?\d{2})?)?",
         r"\d+\s*(?:seconds?|secs?|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w) ago"),
        zone="edge", max_words=14,
        examples=("Published: April 8, 2026", "Updated 3 hours ago", "April 8, 2026 at 10:00 am",
                  "8. April 2026", "2026-04-08", "2019-11-19T09:00:00+00:00", "5h ago"),
        counterexamples=("Updated models will follow in the summer, Wang said.",),
    ),
    Rule(
        "author-contact", "byline",
        "Author contact and tip lines around the article: 'Have a tip? Contact ...', 'She can be "
        "reached at ...', 'Email the author at ...'.",
        (r"(?:got|have) a (?:news )?tip\??.{0,200}",
         r".{0,100}\b(?:can|may) be reached (?:at|on|via)\b.{0,160}",
         r"(?:e-?mail|contact|write to) the (?:author|reporter|writer)s?\b.{0,160}"),
        zone="edge", max_words=40,
        examples=("Have a tip? Email us at tips@example.com", "Jane Doe can be reached at jane@example.com."),
        counterexamples=("He could not be reached for comment on Tuesday.",),
    ),
    Rule(
        "reading-time", "byline",
        "Reading-time and audio widgets: '5 min read', 'Reading time: 4 minutes', 'Listen to this "
        "article', 'Lesezeit: 3 Minuten'.",
        (r"\d+\s*(?:-\s*)?(?:min|mins|minute|minutes)\.?\s*(?:read|reading|lesezeit|de lecture|de lectura)" + _E,
         r"(?:reading time|read time|lesezeit|temps de lecture|tiempo de lectura|tempo di lettura)\s*[:：]?\s*"
         r"(?:about |approx\.? |ca\.? )?\d+\s*\S{0,12}" + _E,
         r"(?:listen to (?:this|the) (?:article|story|podcast|episode)|listen now|play audio|audio version|"
         r"artikel anhören|écouter (?:cet )?article|escuchar (?:este )?artículo)(?:\s*\d{1,2}:\d{2})?" + _E),
        examples=("5 min read", "Reading time: 4 minutes", "Listen to this article 3:21"),
        counterexamples=("The read took 5 minutes longer than expected, engineers said.",),
    ),
    # ---- page chrome -----------------------------------------------------------------------------
    Rule(
        "page-chrome", "navigation",
        "Navigation and page-furniture lines: 'Skip to content', 'Back to top', 'Print this article', "
        "'Please enable JavaScript', 'Your browser does not support the video tag', 'Loading...'.",
        (r"(?:skip to (?:main )?(?:content|navigation|footer)|back to top|go to top|scroll to top|"
         r"return to top|print this (?:article|page|story)|please enable javascript.{0,120}|"
         r"(?:this|your) browser does not support .{0,80}|javascript is (?:disabled|required).{0,120}|"
         r"loading|loading\.\.\.|please wait|(?:click|tap) (?:here|to (?:expand|enlarge|view|play|load))|"
         r"view (?:in|on) (?:browser|app)|download (?:the )?app|open in app|zurück nach oben|"
         r"(?:click|tap) here to (?:(?:get|download) (?:the|our) .{0,40}\bapp\b|subscribe|sign up|join)\b.{0,100}|"
         r".{0,100}\bby clicking here|(?:get|download) (?:the|our) .{1,40} app\b.{0,60}|"
         r"retour en haut|volver arriba|torna su)" + _E,),
        max_words=24,
        examples=("Skip to content", "Back to top", "Loading...", "Your browser does not support the video tag.",
                  "CLICK HERE TO GET THE FOX NEWS APP", "GET FOX BUSINESS ON THE GO BY CLICKING HERE"),
        counterexamples=("Loading the model takes about ten seconds on a laptop, the team said.",
                         "Click here to get more information or download this game."),
    ),
    Rule(
        "nav-link", "navigation",
        "Lone menu items: 'Home', 'Menu', 'Search', 'Log in', 'Sign in', 'Register', 'Contact us', "
        "'About us', 'Privacy Policy', 'Terms of Service'; weak (head, tail, or beside other widgets).",
        (r"(?:home|menu|search|log ?in|log ?out|sign ?in|sign ?out|sign up|register|my account|account|"
         r"contact|contact us|about|about us|privacy|privacy policy|terms|terms of (?:use|service)|"
         r"terms and conditions|accessibility|sitemap|careers|help|faq|rss|subscribe|newsletters|"
         r"startseite|suche|anmelden|accueil|recherche|connexion|inicio|buscar|iniciar sesión|cerca|accedi)"
         + _E,),
        strength="weak", max_words=4,
        examples=("Home", "Privacy Policy", "Sign In"), counterexamples=("Home prices fell again.",),
    ),
    # ---- stray fragments -------------------------------------------------------------------------
    Rule(
        "stray-fragment", "stray",
        "Leftovers of icons and buttons: a lone function word ('in', 'by', 'and'), bullet, arrow or "
        "pipe on its own line; weak (head, tail, or beside other widgets). Markdown rules ('---', "
        "'***') are structure, not strays.",
        (r"(?:in|by|and|or|the|a|an|of|on|at|to|for|with|from|via|und|oder|der|die|das|von|et|ou|le|la|"
         r"les|de|du|des|y|o|el|los|las|e|il|di|da|en|og|och)",
         r"[|•·►▶▸»›>→←↑↓✓✔✕✖×+&/\\…\"]{1,3}|\.{2,3}|-{1,2}"),
        strength="weak", max_words=1, case_sensitive=True,
        examples=("in", "•", "|", "»", "-"), counterexamples=("---", "***", "In"),
    ),
    # ---- titles ---------------------------------------------------------------------------------
    Rule(
        "recurring-line", "evidence",
        "Cross-document evidence: a short line printed in at least `evidence.min_documents` different "
        "articles of the same source (site folder) is that site's furniture, whatever its wording. "
        "Lines shared across different sources are quotes: duplicates, not boilerplate.",
    ),
    Rule(
        "recurring-affix", "evidence",
        "Cross-document evidence for template lines with a slot ('{author} is a correspondent for the "
        "Ledger.', '{photographer} / Ledger Photo', 'See also: {headline}'): a short line whose first and/or last "
        "tokens (digits folded) open or close lines in at least `evidence.min_documents` different "
        "articles of the same source. The recurring tokens must cover two tokens, one a word, and half "
        "of a line that reads as a sentence; an affix shared by three lines of one document is its own "
        "list, not evidence; in the head they must recur in heads, and the title is never taken.",
    ),
    Rule(
        "repeated-title", "title",
        "Structural: the document's title (its first short line before the first paragraph) printed "
        "again, at the top or bottom, once folded (quotes, dashes, case and spacing ignored). The "
        "first copy stays.",
    ),
)

_BULLET_FIRST = "-*•·▪►▸»›"
_BULLET = regex.compile(rf"^(?:[{_BULLET_FIRST}](?:\s+|(?=\w)))+")
_TERMINAL = regex.compile(r"[.!?…。！？:;]$")
_CLOSERS = "\"'”’)]}»›*_ "
_UPPER_WORD = regex.compile(r"^[\p{Lu}\p{N}]")
_CASED_WORD = regex.compile(r"\p{L}[\p{L}'’.-]*|\p{N}+")


def rule_names() -> list[str]:
    return [r.name for r in CATALOGUE]


def custom_to_rule(custom: CustomRule) -> Rule:
    """A configured rule, checked now so a bad pattern fails before any document is read."""
    rule = Rule(custom.name, custom.category, custom.description, (custom.pattern,), zone=custom.zone,
                max_words=custom.max_words)
    rule.compiled  # noqa: B018 - compile (and validate) eagerly
    return rule


@lru_cache(maxsize=16)
def active_rules(config: Config) -> tuple[Rule, ...]:
    """The catalogue with the configuration's enables, disables and custom rules applied."""
    known = set(rule_names())
    customs = tuple(custom_to_rule(c) for c in config.rules.custom)
    clash = [c.name for c in customs if c.name in known]
    if clash:
        raise ConfigError(f"rules.custom: rule name '{clash[0]}' is already in the catalogue; rename it")
    known |= {c.name for c in customs}
    for name in (*config.rules.disable, *config.rules.enable):
        if name not in known:
            raise ConfigError(f"unknown rule '{name}'; `dedup rules` lists the rule names")
    chosen = []
    for rule in (*CATALOGUE, *customs):
        on = (rule.enabled or rule.name in config.rules.enable) and rule.name not in config.rules.disable
        if on:
            chosen.append(rule)
    return tuple(chosen)


def matching_text(text: str) -> str:
    """What patterns see: the folded passage without list bullets.

    Every passage is read this way several times (rules, evidence, headlines); a text that does not
    start with a bullet character cannot match the anchored bullet pattern, so only those that do
    run it.
    """
    folded = soft_fold(text)
    if folded[:1] not in _BULLET_FIRST:
        return folded
    return str(_BULLET.sub("", folded))


def ends_sentence(text: str) -> bool:
    return bool(_TERMINAL.search(text.rstrip(_CLOSERS)))


def is_prose(text: str, words: int) -> bool:
    """A body paragraph: a sentence of some length, or anything long."""
    return words >= 20 or (words >= 8 and ends_sentence(text))


def _headline_like(text: str) -> bool:
    words = _CASED_WORD.findall(text)
    if len(words) < 3:
        return False
    cased = [w for w in words if w[:1].lower() != w[:1].upper() or w[:1].isdigit()]
    if not cased:  # scripts without case (CJK): length is the only cue
        return len(text) >= 6
    upper = sum(1 for w in cased if _UPPER_WORD.match(w))
    return upper / len(cased) >= 0.6


#: The catalogue's rules by identity: the prefilter's case folding is checked for their patterns.
_CATALOGUE_IDS = frozenset(id(r) for r in CATALOGUE)
_SCREENS: dict[int, tuple[Sequence[Rule], _Screen]] = {}


@dataclass(frozen=True)
class _Check:
    """One pattern of a screened rule as string tests that every text it fullmatches passes."""

    rule: Rule
    prefixes: tuple[str, ...] | None  # the folded text starts with one of these (None: untested)
    clauses: tuple[tuple[str, ...], ...]  # the folded text contains a string of each
    forbidden: frozenset[str]  # the text contains none of these characters
    longest: int  # the text is no longer than this
    initials: frozenset[str] | None = None  # the folded text starts with one of these (see prefilter.may_start)


def _check(rule: Rule, pattern: str) -> _Check:
    """The tests of one pattern, or none at all when the prefilter cannot read it."""
    try:
        found = prefilter.needs(pattern)
    except prefilter.Unsupported:
        return _Check(rule, None, (), frozenset(), sys.maxsize)
    prefixes = prefilter.minimal_prefixes(found.prefixes)
    clauses = sorted({prefilter.shorter(c) for c in found.required()}, key=prefilter.selectivity)
    # Beyond a few strings a clause costs more to test on every text than the fullmatch it would
    # save; tested only on the texts that pass the first clause, a longer one still pays.
    chosen = [c for c in clauses if len(c) <= _MAX_CLAUSE][:2]
    if len(chosen) < 2:
        chosen += [c for c in clauses if _MAX_CLAUSE < len(c) <= _MAX_LATE_CLAUSE][:2 - len(chosen)]
    return _Check(rule, None if prefixes is None or "" in prefixes else tuple(sorted(prefixes)),
                  tuple(tuple(sorted(c)) for c in chosen), found.forbidden,
                  sys.maxsize if found.longest is None else found.longest,
                  # a pattern that may match the empty text may match any first character
                  None if found.nullable else found.initials)


_MAX_CLAUSE = 16
_MAX_LATE_CLAUSE = 32
#: Characters whose absence rules out patterns on prose (a tag list has no full stop), tested on every passage.
_KEY_CHARACTERS = ".,;:!?()"
_STATIC_CACHE_LIMIT = 4096


class _Screen:
    """Which screened rules may fullmatch a passage, from string tests instead of the regex engine.

    Most passages are prose that no rule matches; running every pattern on each (or one
    alternation of all of them) cost tens of microseconds a passage, most of it in patterns that
    start with ``.{0,N}`` and are retried from every offset. :mod:`dedup.prefilter` derives from
    each pattern what every match must satisfy; a rule none of whose patterns passes cannot match,
    and is not run. The tests that depend only on the first character and on which tracked
    characters occur (``forbidden``) are done once per such combination and cached.
    """

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = tuple(r for r in rules if _screened(r))
        #: Whether some rule with patterns is not screened (a custom rule): it is tried on every passage.
        self.unscreened = any(r.patterns and not _screened(r) for r in rules)
        # One check per branch: a rule listing many phrases is a candidate only for texts that one
        # phrase's own prefix or clause lets through.
        self.checks = tuple(_check(r, b) for r in self.rules for p in r.patterns for b in prefilter.branches(p))
        # Only characters common in prose are worth a test and a cache key of their own.
        forbidden = set().union(*(c.forbidden for c in self.checks))
        self.tracked = "".join(sorted(forbidden.intersection(_KEY_CHARACTERS)))
        self._static: dict[tuple[str, str], _Static] = {}
        # The prefixed checks under each first character, trimmed to the prefixes starting with it,
        # so that building a cache entry looks at the checks a text could pass, not at all of them.
        self._prefixed: dict[str, list[_Check]] = {}
        self._others = [c for c in self.checks if c.prefixes is None]
        for check in self.checks:
            for first in sorted({p[0] for p in check.prefixes or ()}):
                starting = tuple(p for p in check.prefixes or () if p.startswith(first))
                self._prefixed.setdefault(first, []).append(replace(check, prefixes=starting))

    def _static_checks(self, first: str, present: str) -> _Static:
        """The checks a text starting with ``first`` and holding the tracked characters ``present``
        may pass: those with prefixes (trimmed to the ones starting with ``first``), then the rest
        (those whose initials ``first`` is not among are left out)."""
        prefixed = tuple(c for c in self._prefixed.get(first, ()) if c.forbidden.isdisjoint(present))
        # Longest first, so :meth:`candidates` stops at the first check the text is too long for:
        # a paragraph is longer than most widget patterns can match (on the planted corpus the loop
        # took 96,305 steps for 15,956 paragraphs instead of 184,827). The order of the candidates
        # found does not matter: they are tested for a match and for membership only.
        others = tuple(sorted((c for c in self._others if c.forbidden.isdisjoint(present) and (
            not first or c.initials is None or prefilter.may_start(c.initials, first))), key=lambda c: -c.longest))
        union = tuple(sorted({p for c in prefixed for p in c.prefixes or ()}))
        return union, prefixed, others

    def candidates(self, text: str, folded: str | None = None) -> list[Rule]:
        """The screened rules that may fullmatch ``text`` (the others cannot); ``folded`` is
        ``prefilter.gate_fold(text)`` when the caller has it (:func:`_gate_folded`)."""
        if folded is None:
            folded = prefilter.gate_fold(text)
        key = (folded[:1], "".join([c for c in self.tracked if c in text]))
        static = self._static.get(key)
        if static is None:
            if len(self._static) >= _STATIC_CACHE_LIMIT:
                self._static.clear()
            static = self._static[key] = self._static_checks(*key)
        union, prefixed, others = static
        size = len(text)
        found: dict[int, Rule] = {}  # by identity: comparing rules field by field is slow
        if union and folded.startswith(union):
            for check in prefixed:
                if size <= check.longest and id(check.rule) not in found \
                        and folded.startswith(check.prefixes or ()) and _has_clauses(folded, check.clauses):
                    found[id(check.rule)] = check.rule
        for check in others:  # longest first
            if size > check.longest:
                break
            if id(check.rule) not in found and _has_clauses(folded, check.clauses):
                found[id(check.rule)] = check.rule
        return list(found.values())


#: A screen's checks for one first character and set of tracked characters: the union of the
#: prefixed checks' prefixes, the prefixed checks, and the others.
_Static = tuple[tuple[str, ...], tuple[_Check, ...], tuple[_Check, ...]]


def _gate_folded(passage: Passage, text: str) -> str:
    """``prefilter.gate_fold(text)`` for ``text``, the passage's :func:`matching_text`, without a
    casefold when it can be read off the passage's key.

    A passage's key is ``casefold(soft_fold(passage.text))`` (:func:`dedup.passages.split_many`),
    and its matching text is ``soft_fold(passage.text)`` unless a bullet was cut off (which makes it
    shorter). So for the same length the key is the casefolded matching text, and gate folding only
    drops U+0307 from it. Every passage is screened, and the casefold cost about 1 % of a run.
    """
    if len(text) != len(soft_fold(passage.text)):
        return prefilter.gate_fold(text)
    return prefilter.without_dot(passage.key)


def _has_clauses(folded: str, clauses: tuple[tuple[str, ...], ...]) -> bool:
    """Whether ``folded`` contains a string of each clause."""
    for clause in clauses:
        for word in clause:
            if word in folded:
                break
        else:
            return False
    return True


def build_screen(rules: Sequence[Rule]) -> None:
    """Build the screen of ``rules`` now (about 0.1 s): worker processes forked afterwards share it
    instead of each building its own on its first document."""
    _screen(rules)


def _screen(rules: Sequence[Rule]) -> _Screen:
    """The screen of ``rules``, keyed by the identity of ``rules`` (the tuple :func:`active_rules`
    caches), which is kept alive so its id is never reused."""
    found = _SCREENS.get(id(rules))
    if found is not None and found[0] is rules:
        return found[1]
    screen = _Screen(rules)
    _SCREENS[id(rules)] = (rules, screen)
    return screen


def _screened(rule: Rule) -> bool:
    """Catalogue rules are screened; custom rules are always run (the prefilter's case folding is
    only checked for the catalogue's patterns)."""
    return id(rule) in _CATALOGUE_IDS and bool(rule.patterns)


def _any_match(rules: Sequence[Rule], text: str) -> bool:
    """Whether one of ``rules`` fullmatches ``text`` (on a timeout, yes: the rules then run one by
    one later and name the slow one)."""
    for rule in rules:
        pattern = rule.compiled
        try:
            if pattern is not None and pattern.fullmatch(text, timeout=MATCH_TIMEOUT) is not None:
                return True
        except TimeoutError:
            return True
    return False


#: A title has at least this many words; shorter lines above it are menu items, not the title.
TITLE_WORDS = 3
#: The longest line a head or tail run may hold (words): longer lines are a standfirst or prose.
EDGE_RUN_WORDS = {"head": 10, "tail": 20}


def _edge_runs(passages: Sequence[Passage], texts: Sequence[str], decisions: dict[int, Decision],
               weak: dict[int, Decision], protected: set[int], first: int, last: int) -> set[int]:
    """Remove runs of short unpunctuated lines enclosed by removed passages in the head and tail.

    A widget block interleaves lines no rule names (an unnamed list's links, a byline, a date)
    with lines that are removed; enclosed on both sides, such a line is part of the block. In the
    head the title (the first passage nothing removes, menu items of one or two words aside) is
    never taken and closes a run from above, since bylines sit right under it; in the tail the
    document's end closes a run from below. A run that touches a prose paragraph is never
    enclosed, so a heading above the first paragraph stays. Returns the line numbers taken.
    """
    n = len(passages)
    taken: set[int] = set()
    # The title: the first head line nothing removes, skipping one- and two-word menu items above it.
    head = [i for i in range(first) if i not in decisions and i not in weak and i not in protected]
    title = next((i for i in head if passages[i].words >= TITLE_WORDS), head[0] if head else None)

    def candidate(i: int, zone: str) -> bool:
        return (i not in decisions and i not in weak and i not in protected and i != title
                and passages[i].words <= EDGE_RUN_WORDS[zone] and not ends_sentence(texts[i]))

    for zone, lo, hi in (("head", 0, first), ("tail", last + 1, n)):
        i = lo
        while i < hi:
            if not candidate(i, zone):
                i += 1
                continue
            j = i
            while j < hi and candidate(j, zone):
                j += 1
            above = i - 1 >= lo and (i - 1 in decisions or (zone == "head" and i - 1 == title))
            below = (j < hi and j in decisions) or (zone == "tail" and j == n)
            if above and below:
                if zone == "head" and i - 1 == title:
                    between = "the title and removed widgets"
                elif j == n:
                    between = "removed widgets and the end of the document"
                else:
                    between = "removed widgets"
                for k in range(i, j):
                    decisions[k] = Decision(k, "edge-run", f"short line in the {zone}, between {between}", True)
                    taken.add(passages[k].line)
            i = j
    return taken


def _outside_body(passages: Sequence[Passage], decisions: dict[int, Decision], protected: set[int],
                  by_name: dict[str, Rule]) -> dict[int, Decision]:
    """Rule ``page-body``: the passages before and after the page's main text block (see :mod:`dedup.blocks`)."""
    from . import blocks

    comments = {i for i, d in decisions.items() if d.rule in by_name and by_name[d.rule].category == "comments"}
    span = blocks.body(passages, set(decisions), comments=comments)
    if span is None:
        return {}
    where = f"lines {passages[span.start].line}-{passages[span.stop - 1].line}"
    return {i: Decision(i, "page-body", f"outside the page's main text block ({where})", True)
            for i in range(len(passages)) if i not in span and i not in protected}


@fast_init
@dataclass(frozen=True)
class Decision:
    """A passage the rules remove, and why (``index`` is the passage's index in its document)."""

    index: int
    rule: str
    reason: str
    strong: bool


#: What rule ``repeated-title`` ignores when it compares a line with the title: all but letters and digits.
_NOT_LETTERS = regex.compile(r"[\W_]+")
_NOT_LETTERS_RUN = regex.compile(r"[\W_]*")


def _same_letters(key: str, letters: str) -> bool:
    """Whether ``key`` without ``_NOT_LETTERS`` is ``letters`` (``_NOT_LETTERS.sub("", key) == letters``).

    Walks ``key`` and ``letters`` together and stops at the first difference, which for a line
    that is not the title is almost always its first letter: removing the non-letters of every
    paragraph (a substitution at each space) cost more than the rest of the rules together.
    """
    if len(key) < len(letters):
        return False
    pos = 0
    for letter in letters:
        pos = _NOT_LETTERS_RUN.match(key, pos).end()  # [\W_]* always matches
        if pos >= len(key) or key[pos] != letter:
            return False
        pos += 1
    return bool(_NOT_LETTERS_RUN.match(key, pos).end() == len(key))


def _zone_ok(zone: Zone, where: str) -> bool:
    return zone == "any" or (zone == "edge" and where in ("head", "tail")) or zone == where


def _code_fenced(passages: Sequence[Passage]) -> set[int]:
    inside = False
    fenced: set[int] = set()
    for p in passages:
        stripped = p.text.lstrip()
        if stripped.startswith(("```", "~~~")):
            fenced.add(p.index)
            inside = not inside
        elif inside:
            fenced.add(p.index)
    return fenced


def find_boilerplate(passages: Sequence[Passage], rules: Sequence[Rule], max_removed_fraction: float = 0.8,
                     total_chars: int | None = None,
                     given: dict[int, tuple[str, str]] | None = None) -> tuple[list[Decision], list[Suspect]]:
    """Decide which passages of one document are boilerplate.

    ``total_chars`` is the size of the whole document when ``passages`` are only its survivors
    (the cap on removals is a share of the document, not of what is left of it). ``given`` maps
    passage indexes to the (rule, reason) of removals decided on cross-document evidence (rules
    ``recurring-line`` and ``recurring-affix``); they count as removed widgets for the positional
    rules. Affix evidence never takes the title (the first head passage nothing else removes). Returns the
    decisions (one per removed passage) and the suspects (kept, but reported).
    """
    n = len(passages)
    if n == 0:
        return [], []
    doc = passages[0].doc
    texts = [matching_text(p.text) for p in passages]
    protected = _code_fenced(passages)
    # A widget sentence ("We use cookies to improve your experience.") is not a body paragraph: if it
    # were, the head and tail zones would stop at it and the bylines beyond it would look like body.
    by_name = {r.name: r for r in rules}
    given_at = {i: (given or {})[p.index] for i, p in enumerate(passages)
                if p.index in (given or {}) and (given or {})[p.index][0] in by_name}
    # hit[i] False: no screened rule matches passage i, so only unscreened (custom) rules are tried;
    # a screened rule that is no candidate for passage i cannot match it.
    screen = _screen(rules)
    may_match = [screen.candidates(t, _gate_folded(p, t)) for p, t in zip(passages, texts, strict=True)]
    hit = [bool(c) and _any_match(c, t) for c, t in zip(may_match, texts, strict=True)]
    unscreened = screen.unscreened
    tried = [(hit[i] or unscreened) and i not in protected for i in range(n)]

    def matches(rule: Rule, i: int) -> bool:
        if not _screened(rule):
            return rule.matches(texts[i])
        return hit[i] and any(c is rule for c in may_match[i]) and rule.matches(texts[i])

    widget = set(given_at) | {
        i for i, p in enumerate(passages) if tried[i] and any(
            r.zone == "any" and r.strength == "strong" and not r.structural and p.words <= r.max_words
            and matches(r, i) for r in rules)
    }
    prose = [is_prose(texts[i], p.words) and i not in widget for i, p in enumerate(passages)]
    prose_idx = [i for i in range(n) if prose[i]]
    first = prose_idx[0] if prose_idx else None
    last = prose_idx[-1] if prose_idx else None

    def where(i: int) -> str:
        if first is None or last is None:
            return "body"
        if i < first:
            return "head"
        if i > last:
            return "tail"
        return "body"

    decisions: dict[int, Decision] = {}
    weak: dict[int, Decision] = {}
    context: dict[int, Decision] = {}
    suspects: list[Suspect] = []

    def suspect(i: int, rule: str, reason: str) -> None:
        suspects.append(Suspect(doc, passages[i].line, rule, passages[i].text, reason))

    for i, p in enumerate(passages):
        if not tried[i]:
            continue
        for rule in rules:
            if rule.structural or not _zone_ok(rule.zone, where(i)):
                continue
            if not matches(rule, i):
                continue
            if p.words > rule.max_words:
                suspect(i, rule.name, f"matches {rule.name} but has {p.words} words (> {rule.max_words}); kept")
                break
            decision = Decision(i, rule.name, f"matches {rule.name} ({rule.category})", rule.strength == "strong")
            if rule.strength == "strong":
                decisions[i] = decision
            elif rule.strength == "weak":
                weak[i] = decision
            else:
                context[i] = decision
            break

    # Cross-document evidence for what no pattern named (a pattern's own name is the better reason).
    title = next((i for i in range(first if first is not None else n)
                  if i not in decisions and i not in weak and i not in protected
                  and given_at.get(i, ("",))[0] != "recurring-line"), None)
    for i, (rule_name, reason) in given_at.items():
        if i not in decisions and i not in protected and not (rule_name == "recurring-affix" and i == title):
            decisions[i] = Decision(i, rule_name, reason, True)
            weak.pop(i, None)
            context.pop(i, None)

    # Lists headed by a header such as "Related articles" or "Table of contents".
    if "list-after-header" in by_name:
        last_seen: dict[str, int] = {}
        for i in range(n):
            last_seen[passages[i].key] = i
        for i in sorted(decisions):
            opener = by_name.get(decisions[i].rule)
            if opener is None or not opener.opens_list:
                continue
            j, taken = i + 1, 0
            while j < n and taken < 15:
                if j in decisions or j in weak:
                    j += 1
                    continue
                p = passages[j]
                repeats_later = last_seen[p.key] > j
                if j in protected or prose[j] or p.words > 15 or (ends_sentence(texts[j]) and not repeats_later):
                    break
                decisions[j] = Decision(j, "list-after-header", f"listed under '{passages[i].text.strip()}'", True)
                taken += 1
                j += 1

    # The title printed again.
    if "repeated-title" in by_name and first is not None:
        title = next((i for i in range(first) if i not in decisions and i not in weak and i not in protected
                      and passages[i].words <= 30), None)
        if title is not None:
            title_key = _NOT_LETTERS.sub("", passages[title].key)
            for j in range(title + 1, n):
                if j in protected or j in decisions:
                    continue
                if title_key and _same_letters(passages[j].key, title_key):
                    decisions[j] = Decision(j, "repeated-title", f"repeats the title on line {passages[title].line}",
                                            True)
                    weak.pop(j, None)

    # Weak evidence counts in the head or tail, or beside a removed passage; context evidence only
    # beside a removed passage (to a fixpoint, so a widget block is taken whole).
    changed = True
    while changed:
        changed = False
        for pending, anywhere_on_edge in ((weak, True), (context, False)):
            for i in sorted(pending):
                beside = (i - 1) in decisions or (i + 1) in decisions
                if beside or (anywhere_on_edge and where(i) in ("head", "tail")):
                    decision = pending.pop(i)
                    evidence = "next to a removed widget" if beside else f"in the document's {where(i)}"
                    decisions[i] = replace(decision, reason=f"{decision.reason}, {evidence}")
                    changed = True

    # Headline-like lines after the last paragraph, where there is evidence of a link block: a
    # widget already removed between the last paragraph and them, or headlines printed twice
    # (related-article cards). Without it, short closing lines are often content (tour dates,
    # steps, prices): they are kept and reported.
    if "tail-links" in by_name and last is not None:
        tail = [i for i in range(last + 1, n) if i not in decisions and i not in protected]
        candidates = [i for i in tail if passages[i].words <= 15 and not ends_sentence(texts[i])]
        counts: dict[str, int] = {}
        for i in candidates:
            counts[passages[i].key] = counts.get(passages[i].key, 0) + 1
        for i in candidates:
            repeated = counts[passages[i].key] > 1
            widget_before = any(j in decisions for j in range(last + 1, i))
            if (repeated or widget_before) and _headline_like(texts[i]):
                evidence = "printed twice" if repeated else "after a removed widget"
                decisions[i] = Decision(i, "tail-links", f"headline-like line after the last paragraph, {evidence}",
                                        True)
            else:
                suspect(i, "tail-links", "short line after the last paragraph; not enough evidence to remove")

    # Short lines enclosed by removed widgets at the head or tail are part of the block (after
    # tail-links, whose reason is the more specific; its suspects that a run takes are withdrawn).
    if "edge-run" in by_name and first is not None and last is not None:
        in_runs = _edge_runs(passages, texts, decisions, weak, protected, first, last)
        suspects[:] = [s for s in suspects if not (s.rule == "tail-links" and s.line in in_runs)]

    # Whole pages: everything outside the main text block (after the other rules, whose widgets
    # count against a block). Exempt from the cap below: on a whole page most text is furniture.
    outside: dict[int, Decision] = {}
    if "page-body" in by_name:
        outside = _outside_body(passages, decisions, protected, by_name)

    # Rules may not take most of a document.
    total = total_chars or sum(p.end - p.start for p in passages) or 1

    def removed_chars(ds: dict[int, Decision]) -> int:
        return sum(passages[i].end - passages[i].start for i in ds)

    if removed_chars(decisions) / total > max_removed_fraction:
        # Keep the most certain evidence that fits under the cap: what the widget patterns matched
        # (weak and context patterns too: they are decisions here only where their position allows,
        # and the same position holds in the output), then cross-document recurrence; positional
        # and structural guesses go first. Were a weak match given back while the strong ones are
        # removed, a second run over the output would find it in the same place, under the cap on
        # a shorter text, and remove it: the output would not be clean.
        patterned = {i: d for i, d in decisions.items()
                     if d.rule in by_name and not by_name[d.rule].structural}
        recurring = {i: d for i, d in decisions.items() if d.rule in ("recurring-line", "recurring-affix")}
        kept_decisions: dict[int, Decision] = {}
        for group in (patterned, recurring):
            if removed_chars({**kept_decisions, **group}) / total <= max_removed_fraction:
                kept_decisions.update(group)
            else:
                break
        for i in sorted(set(decisions) - set(kept_decisions)):
            suspect(i, decisions[i].rule, f"kept: rules would remove over {max_removed_fraction:.0%} of the document")
        decisions = kept_decisions

    # Outside the body everything goes: with the rules' own reason where they named it, else
    # page-body's (also for lines the cap above gave back, whose suspects are withdrawn).
    for i, decision in outside.items():
        decisions.setdefault(i, decision)
    if outside:
        gone = {passages[i].line for i in outside}
        suspects[:] = [s for s in suspects if s.line not in gone]
    suspects.sort(key=lambda s: (s.line, s.rule))
    return [replace(decisions[i], index=passages[i].index) for i in sorted(decisions)], suspects
