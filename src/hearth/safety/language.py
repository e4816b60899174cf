"""Risk language in a client's free text: a level and the reasons behind it.

The detector is a set of readable regular expressions, grouped by level, so a
clinician can see exactly which words raised a message and why. It never
decides anything on its own: a ``needs_review`` assessment puts the message in
front of a person. Because a missed disclosure costs far more than a message a
clinician glances at and dismisses, the rules favour recall: when the wording is
unclear, they flag at "medium" with a reason rather than stay silent.

How a text is read, in order:

1. Normalise: lower case, curly quotes straightened, common typed shortcuts
   expanded ("dont" -> "don't", "im" -> "i'm", "gonna" -> "going to", "kms" ->
   "kill myself"), whitespace collapsed. Only the first ``MAX_CHARS``
   characters are read; the rest is not, and the assessment says so.
2. Mask idioms and hyperbole ("this traffic is killing me", "dying to see
   it", "bored to death", "deadline") so their words cannot trigger a rule.
3. Run the rules from high to low. Phrases that contain a negation as part of
   their meaning ("I don't want to live anymore") are matched as whole
   phrases first. A later rule cannot claim words an earlier rule already
   matched, so one phrase gives one reason.
4. A match preceded in its clause by a negation ("I would never hurt myself")
   is kept as a reason marked ``negated`` but does not raise the level. The
   last-resort "risk-word" rule ignores negation: a risk word in wording no rule
   knows ("can't see myself getting through this alive") is flagged either way.
   A self-harm or attempt match described as in the past ("two years ago",
   "used to") counts as medium, not high.
5. The level is the highest level among the reasons that are not negated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LEVELS = ("none", "low", "medium", "high")
_RANK = {level: rank for rank, level in enumerate(LEVELS)}

# Work is capped so a pasted document cannot stall whoever calls this; anything
# past the cap is not read, and the assessment says so with its own reason.
MAX_CHARS = 20_000


@dataclass(frozen=True)
class RiskReason:
    rule: str
    label: str
    excerpt: str
    level: str
    negated: bool = False


@dataclass(frozen=True)
class RiskAssessment:
    level: str
    reasons: tuple[RiskReason, ...]
    truncated: bool = False

    @property
    def needs_review(self) -> bool:
        return self.level in ("medium", "high")


@dataclass(frozen=True)
class _Rule:
    rule: str
    label: str
    level: str
    pattern: re.Pattern[str]
    # The rule's own words include a negation ("don't want to live"), so only
    # words before the match can negate it.
    negation_inside: bool = False
    # An act (cutting, an overdose) told as long past is medium, not high.
    past_lowers: bool = False
    # A negation does not lower this rule's matches (see the risk-word rule).
    negation_ignored: bool = False


def _rule(
    rule: str,
    label: str,
    level: str,
    *alternatives: str,
    negation_inside: bool = False,
    past_lowers: bool = False,
    negation_ignored: bool = False,
) -> _Rule:
    pattern = re.compile(r"\b(?:" + "|".join(alternatives) + r")\b")
    return _Rule(rule, label, level, pattern, negation_inside, past_lowers, negation_ignored)


# ---------------------------------------------------------------------------
# Normalisation: typed shortcuts and apostrophe variants become one spelling.
# ---------------------------------------------------------------------------

_SHORTCUTS = (
    (r"\b(don|can|won|didn|doesn|isn|aren|wasn|wouldn|couldn|shouldn|haven|hasn)t\b", r"\1't"),
    (r"\bim\b", "i'm"),
    (r"\bive\b", "i've"),
    (r"\bi ll\b", "i'll"),
    (r"\bgonna\b", "going to"),
    (r"\bwanna\b", "want to"),
    (r"\bgotta\b", "got to"),
    (r"\b(?:2|too) (die|live)\b", r"to \1"),
    (r"\bkms\b", "kill myself"),
    (r"\bkys\b", "kill yourself"),
    (r"\bmy ?self\b|\bmeself\b", "myself"),
    (r"\bno ?one\b|\bno-one\b", "nobody"),
    (r"\bcannot\b|\bcan not\b", "can't"),
    (r"\bdo not\b", "don't"),
    (r"\bam not\b", "'m not"),
    (r"\bi am\b", "i'm"),
    (r"\bself ?-? ?harm", "self-harm"),
    (r"\bstep ?(mum|mom|dad|father|mother)\b", r"step\1"),
    (r"\s+", " "),
)
_SHORTCUT_PATTERNS = tuple((re.compile(pattern), repl) for pattern, repl in _SHORTCUTS)


def _normalise(text: str) -> str:
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    for pattern, repl in _SHORTCUT_PATTERNS:
        text = pattern.sub(repl, text)
    return text.strip()


# ---------------------------------------------------------------------------
# Idioms and hyperbole: masked before any rule runs.
# ---------------------------------------------------------------------------

_IDIOMS = re.compile(
    r"\b(?:"
    # "this traffic is killing me", "my feet are killing me": something, not someone.
    r"(?:is|are|'s|'re) killing me"
    r"|killing (?:time|it|off)|killed it|killer\b|killers\b"
    # "dying to see it", "dying for a lie-in", "dying of embarrassment", "died laughing"
    r"|dying (?:to|for|of)\b|di(?:ed|e) laughing|die of (?:embarrassment|shame|boredom)"
    # "I could kill for a coffee", "I'd kill to have a weekend off"
    r"|(?:could|would|'d) kill (?:for|to)\b"
    # "my boss will kill me if I'm late", "she's going to murder me for telling you"
    r"|(?:kill|murder) me (?:if|for|when)\b"
    r"|(?:boss|mum|mom|dad|mother|father|teacher|wife|husband|partner) (?:will|would|'ll|'d|is"
    r" going to|'s going to) (?:kill|murder) me"
    # "bored to death", "scared me to death", "worried sick"
    r"|(?:bored|scared|frightened|worried|laughed|tickled)(?: me)? to death"
    # "dead tired", "deadline", "literally dead" (laughing), a dead battery
    r"|dead ?(?:tired|beat|on|set|end|lines?)|literally dead"
    r"|killed me|(?:cried|crying|cry) laughing"
    r"|(?:phone|battery|laptop|car|plant|plants|charger)(?:'s| is| has| had)? (?:died|dead|dying)"
    r")"
)


def _mask_idioms(text: str) -> str:
    # Same length out as in, so excerpts and clause positions stay meaningful.
    return _IDIOMS.sub(lambda match: "~" * len(match.group(0)), text)


# ---------------------------------------------------------------------------
# Rules, high to low. Order matters: an earlier rule claims its words first.
# ---------------------------------------------------------------------------

_SELF_OBJECT = r"(?:myself|my (?:arms?|legs?|wrists?|thighs?|skin|stomach|body))"
_OTHER_OBJECT = (
    r"(?:him|her|them|someone|somebody|anyone|anybody|everyone|people"
    r"|my (?:\w+ )?(?:dad|father|mum|mom|mother|stepdad|stepmum|brother|sister|son|daughter"
    r"|baby|kids?|children|husband|wife|partner|boyfriend|girlfriend|ex|boss|neighbour|neighbor)"
    r"|the (?:baby|kids|children))"
)
_ABUSER = (
    r"(?:he|she|they|my (?:\w+ )?(?:dad|father|mum|mom|mother|stepdad|stepmum|stepfather"
    r"|stepmother|husband|wife|partner|boyfriend|girlfriend|ex|brother|sister|uncle|aunt"
    r"|carer|grandad|grandfather)|(?:mum|mom|dad)'s (?:boyfriend|girlfriend|partner))"
)
_DAYS = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"

_RULES: tuple[_Rule, ...] = (
    # --- high: phrases whose negation is their meaning, matched as wholes first ---
    _rule(
        "life-rejection",
        "Says they do not want to live",
        "high",
        r"(?:don't|doesn't|no longer|not) (?:really |even )?(?:want|wish) to"
        r" (?:live|be alive|exist|carry on living|wake up)",
        r"(?:want|wish|prefer) (?:i could )?(?:to )?not (?:exist|be alive|be here|wake up)",
        r"not (?:exist|be alive) (?:anymore|any more)",
        negation_inside=True,
    ),
    _rule(
        "cannot-stay-safe",
        "Says they cannot keep themselves safe",
        "high",
        r"(?:can't|unable to|not able to|don't think i can|won't be able to)"
        r" (?:keep|stay) (?:myself )?safe",
        r"i'm not safe (?:tonight|right now|now|today|at the moment)",
        r"can't (?:promise|guarantee|say) (?:that )?i(?:'ll| will)?"
        r" (?:be|stay) (?:alive|here|safe)",
        negation_inside=True,
    ),
    _rule(
        "goodbye",
        "Reads like a goodbye or putting affairs in order",
        "high",
        r"this is (?:my )?goodbye",
        r"by the time you (?:read|see|get) this",
        r"(?:letters?|notes?)\b[^.!?]{0,30}\bsay(?:ing)? goodbye",
        r"suicide (?:note|letter)",
        r"won't be (?:around|here) (?:after|much longer|for (?:much )?long|anymore|any more)",
        r"sorted (?:out )?my will|written my will|given away my",
        r"giv(?:e|ing|en) (?:all )?(?:my|away my) (?:things|stuff|possessions|belongings)",
        r"(?:tonight|today|this) (?:is|'s) my last",
        r"my last (?:night|day|week)",
        r"(?:said|saying) (?:my |all my )?goodbyes",
        r"(?:wrote|written|writing|left) (?:a |my )?(?:note|letter)s? (?:for|to) (?:my|the) \w+",
        r"(?:might not|may not|won't) be (?:alive|here|around) (?:by|next|tomorrow|in)",
        r"tell (?:my )?\w+ (?:that )?i love (?:her|him|them)",
        negation_inside=True,
    ),
    # --- high: intent, plan, means, method, timing ---
    _rule(
        "suicidal-intent",
        "Talks of ending their life",
        "high",
        r"kill(?:ing|ed)? myself",
        r"end(?:ing)? (?:my (?:own )?life|it all|everything)",
        r"ending it",
        r"(?:i'll|i will|i'm going to|i'm going) be dead",
        r"suicide (?:is|seems) (?:the|my) only",
        r"(?:considering|contemplating|seriously thinking about)"
        r" (?:suicide|killing myself|ending it)",
        r"(?:make sure|hope) i (?:don't|never) wake up",
        r"tak(?:e|ing) my (?:own )?life",
        r"(?:off|top)(?:ping)? myself",
        r"i(?:'m| will|'ll)? (?:going to |want to |try to )?commit suicide",
        r"(?:going to|want to|will|'ll|planning to|decided to|ready to|about to) end it",
        r"(?:i|i'm|just|really|so) (?:\w+ ){0,2}?(?:want|ready|going|deserve|need|have) to die",
        r"i(?:'m| feel| felt)(?: \w+){0,2} suicidal",
        r"feel(?:ing)?(?: \w+){0,2} suicidal",
        r"(?:^|(?<=[.!?] ))suicidal",
    ),
    _rule(
        "plan",
        "Describes a plan",
        "high",
        r"(?:have|got|made|making) (?:a|the|my) plan to (?:die|end|kill)",
        r"(?:it )?all planned(?: out)?",
        r"worked out (?:when|how|where)",
        r"know (?:how|when|where) i(?:'d| would| will|'ll| could) do it",
        r"made (?:my|the) decision",
        r"it's happening (?:on|this|tonight|tomorrow)",
        r"planning (?:on|to) (?:jump|end|kill|hang|overdose|take)",
        r"(?:looking up|looked up|googl\w+|search\w+|research\w+) (?:how|ways) to (?:die|kill)",
        r"how many (?:pills|tablets|paracetamol)",
        past_lowers=True,
    ),
    _rule(
        "timing",
        "Names a time for it",
        "high",
        r"tonight(?:'s| is) the night",
        r"(?:do it|end it|go through with it|die|be gone)\b[^.!?]{0,20}\b"
        r"(?:tonight|today|this weekend|tomorrow|on " + _DAYS + r")",
    ),
    _rule(
        "means",
        "Has the means to hand",
        "high",
        r"(?:saving|saved|stockpil\w+|hoard\w*) (?:up )?(?:my |the |some )?"
        r"(?:pills|tablets|meds|medication)",
        r"(?:have|got|bought|holding|hold|buy|buying) (?:the |a |some |my |all the |all my )?"
        r"(?:pills|tablets|paracetamol|rope|gun|knife|knives|blade|blades|razor|razors|ligature)",
        r"(?:pills|tablets) (?:in front of me|here|ready)",
        r"(?:stockpil\w+|hoard\w*|saved up|saving up) (?:my |the |some )?\w+",
        r"(?:have|got) the means",
    ),
    _rule(
        "method",
        "Names a method of suicide",
        "high",
        r"hang(?:ing)? myself",
        r"shoot(?:ing)? myself",
        r"jump(?:ing)? (?:off|from|in front of) (?:a |the |my )?\w+",
        r"standing on (?:the |a )?(?:bridge|roof|ledge|edge|cliff|tracks|platform)",
        r"driv(?:e|ing) (?:my |the )?car (?:into|off)",
        r"i(?:'m| will|'ll)? (?:going to |want to )?overdose",
        r"(?:took|taken|take|taking|swallowed) (?:an )?overdose",
        r"(?:took|taken|swallowed) (?:a load of|loads of|lots of|all (?:my|the)|\d+)"
        r" (?:\w+ )?(?:pills|tablets|paracetamol)",
        r"\d+ paracetamol",
        r"tak(?:e|ing) all (?:of )?(?:my|the|these|those) \w+",
        r"walk(?:ing)? into the (?:sea|river|water|traffic)",
        r"engine running",
        r"(?:round|around) my neck",
        r"slit(?:ting)? my wrists?",
        r"(?:drown|suffocate|poison|starve|strangle|stab|gas|electrocute|throw)(?:ing)? myself",
        r"(?:lethal|fatal|deadly) (?:dose|doses|amount|overdose)",
        r"(?:took|taken|swallowed|take|taking) everything in",
        past_lowers=True,
    ),
    # --- high: self-harm now or very recently ---
    _rule(
        "self-harm",
        "Describes harming themselves",
        "high",
        r"(?<!urge to )(?<!urges to )(?:cut|cutting|burn(?:ed|t|ing)?|hit(?:ting)?"
        r"|slash(?:ed|ing)?"
        r"|hurt(?:ing)?|harm(?:ed|ing)?|scratch(?:ed|ing)?|punch(?:ed|ing)?) " + _SELF_OBJECT,
        r"(?:cut|cutting|burning|burnt|burned|harming|self-harmed|self-harming|relapsed"
        r"|hurting myself)(?: \w+)? again",
        r"been self-harming",
        past_lowers=True,
    ),
    # --- high: harm to others, with intent ---
    _rule(
        "harm-to-others",
        "Talks of hurting someone else",
        "high",
        r"(?:want to|going to|will|'ll|could|gonna|about to) (?:\w+ )?"
        r"(?:kill|stab|hurt|shoot|murder|strangle|batter|harm|attack) " + _OTHER_OBJECT,
        r"make (?:them|him|her|you) (?:all )?pay",
    ),
    # --- high: safeguarding, being hurt or controlled at home ---
    _rule(
        "safeguarding",
        "Is being hurt, threatened or controlled by someone",
        "high",
        _ABUSER + r"(?:'s| has| had)? (?:\w+ )?(?:hit|hits|beat|beats|beaten|punch\w*|kick\w*"
        r"|push\w*|shov\w*|hurts|touch\w*|chok\w*|strangl\w*|slap\w*|threaten\w*|lock\w*"
        r"|rap\w*)(?: me\b| the| my|\b)",
        _ABUSER + r" (?:said|says|told me)? ?(?:he|she|they)?(?:'d|'ll| will| would| is going to)"
        r" (?:kill|hurt|hit|beat|break|burn|stab) (?:me|my)",
        r"(?:scared|afraid|frightened|terrified) (?:to go|of going|to be at) home",
        r"don't want to go home",
        r"scared of what (?:he|she|they)(?:'ll| will| might| would)? do",
        r"locked me (?:in|out)",
        r"(?:comes|came|come|gets|got) into my (?:room|bed)",
        negation_inside=True,
    ),
    # --- medium: passive ideation and hopelessness ---
    _rule(
        "passive-ideation",
        "Wishes they were not alive",
        "medium",
        r"wish (?:i|i'd) (?:was|were|had been) (?:dead|gone|never born)",
        r"wish(?:es)? (?:i|i'd) (?:had )?never (?:been born|existed)",
        r"better (?:off )?dead",
        r"wish i (?:wasn't|was not|weren't|could) (?:here|alive|around|disappear)",
        r"better (?:off |place )?without me",
        r"(?:go to |fall )?(?:sleep|asleep) and (?:not|never) wake up",
        r"(?:fall|go to) (?:sleep|asleep) and that (?:would|'d) be it",
        r"existing,? not living",
        r"end (?:my|the) (?:pain|suffering)",
        r"be with (?:her|him|them) again",
        r"don't want to be (?:here|around) (?:anymore|any more)",
        r"(?:happier|better|easier) if i (?:was|were|wasn't|weren't|just wasn't)"
        r" (?:gone|here|around)",
        r"(?:tired|sick) of (?:living|being alive|life|being here)",
        r"sleep forever|never wake up",
        r"why i (?:even )?bother (?:being alive|living|staying)",
        r"don't care if i (?:live|die)",
        r"(?:wouldn't|would not) mind if i (?:got hit|died|didn't wake|was gone)",
        r"(?:think|thinking|thoughts|thought) (?:about|of)"
        r" (?:dying|death|being dead|not being alive)",
        r"picturing my (?:own )?funeral",
        r"disappear(?:ing)? (?:forever|for good)",
        r"rather be dead",
        r"wish i was dead",
        r"nobody (?:would|will|'d) (?:notice|care|miss)",
        r"nobody cares if i'm",
        negation_inside=True,
    ),
    _rule(
        "hopelessness",
        "Sounds hopeless or trapped",
        "medium",
        r"what's (?:even )?the point",
        r"pointless",
        r"(?:no|any) point (?:to|in) (?:anything|life|it)",
        r"\w*(?:n't|not)(?: \w+){0,3} any point",
        r"(?:no|any) reason to (?:keep )?(?:live|living|go on|carry on)",
        r"(?:can't see|never see) (?:things|it|life) (?:ever )?(?:getting|get) better",
        r"how (?:much )?longer i can (?:keep going|go on|cope|do this|carry on)",
        r"only (?:option|way out)",
        r"(?:thoughts of|think(?:ing)? (?:about|of)) jumping",
        r"no point (?:in )?(?:anything|living|going on|carrying on|trying)",
        r"point (?:of|in) (?:living|me|going on)",
        r"(?:life|it) (?:isn't|is not|'s not) worth (?:living|it anymore)",
        r"can't (?:go on|carry on|do this anymore|do this any more|see a way out)",
        r"not sure i can (?:go on|carry on)",
        r"no way out",
        r"(?:don't|can't) (?:see|picture|imagine) (?:a|any|my) future",
        r"nothing left for me",
        r"(?:want to|going to|feel like) giv(?:e|ing) up",
        r"giv(?:e|ing) up on (?:everything|life|myself)",
        r"want (?:it|everything) (?:all )?to (?:stop|end)",
        r"dark thoughts|(?:those|the) (?:bad|dark) (?:ones|thoughts)",
        r"what's the use|no light at the end",
        r"(?:do|doing) something stupid",
        r"won't need (?:it|them|the appointment|the session|you)",
        r"(?:got|have) a plan",
        r"hopeless",
        r"worthless|waste of space|a burden",
        r"scared of what i (?:might|could|will) do",
        r"done with everything",
        r"don't (?:really )?care what happens",
        negation_inside=True,
    ),
    # --- medium: self-harm urges, signs, or harm spoken of without clear intent ---
    _rule(
        "self-harm-urge",
        "Speaks of urges or signs of self-harm",
        "medium",
        r"urges? to (?:hurt|harm|cut|burn) myself",
        r"urges (?:are|have been) (?:coming )?back",
        r"(?:marks|scars|cuts) on my (?:arms?|legs?|wrists?|thighs?)",
        r"razor|blades?|noose",
        r"keep myself safe",
        r"(?:my|the) scars",
        r"want to do it again",
    ),
    _rule(
        "harm-to-others-thoughts",
        "Has thoughts of hurting someone",
        "medium",
        r"(?:kill|stab|hurt|hurting|harm|harming|attack|strangle|shoot)(?:ing)? " + _OTHER_OBJECT,
    ),
    _rule(
        "safeguarding-concern",
        "May not be safe with someone",
        "medium",
        r"scared of (?:my |him|her|them)",
        r"(?:not|isn't|don't feel) (?:sure i'm |feel )?safe (?:at home|with)",
        r"threaten(?:ing|ed|s) me",
        r"(?:shouting|screaming|violence)\b[^.!?]{0,40}\bscared",
        r"checking my phone",
        r"(?:don't|doesn't) feel safe",
        r"throws things|throwing things",
        r"controls? (?:all )?(?:the |my )?money|won't let me (?:see|go|leave|out)",
    ),
    # --- medium: risk words about someone else or the past; still a person to ask ---
    _rule(
        "risk-mentioned",
        "Mentions suicide, overdose or self-harm (someone else, or in the past)",
        "medium",
        r"suicid\w*",
        r"kill(?:ed|s|ing)? (?:him|her|them)sel(?:f|ves)",
        r"overdos\w*",
        r"self-harm\w*",
        r"wants? to die|wanted to die",
        r"(?:hang|hanged|hung) (?:him|her|them)sel(?:f|ves)",
        r"took (?:his|her|their) (?:own )?life",
        r"(?:my|an|the|suicide) attempts?",
        r"crash(?:ing)? (?:my|the) car",
    ),
    # --- medium: a word often tied to risk in wording no rule above recognised. This is
    # the "when unsure, flag it" rule: it costs false alarms on purpose (a dead
    # battery is masked as an idiom, but "I took my pills this morning" is not), because
    # disclosures come in more wordings than any phrase list holds.
    _rule(
        "risk-word",
        "Uses a word often tied to risk, in wording not recognised: please read it",
        "medium",
        r"alive|die|dies|dying|died|dead|death|kill\w*|suicid\w*|overdos\w*|lethal|bleed\w*",
        r"pills|tablets|paracetamol|co-codamol|wrists?|blades?|razors?|rope|noose|knife|knives|guns?",
        r"bridge|roof|jump\w*|hang|hanging|neck|harm\w*|hurt\w*|bruis\w*|abus\w*|rape\w*",
        r"disappear\w*|burden|funeral|goodbyes?|not long now|my exit",
        r"hit(?:s|ting)? me|hits? (?:my|the) (?:kids|children|baby)",
        r"permanently|set fire|break my",
        # Negation is ignored here: "can't see myself getting through alive" is risk.
        negation_ignored=True,
    ),
    # --- low: distress words; not a review on their own, but worth seeing in context ---
    _rule(
        "distress",
        "Sounds distressed",
        "low",
        r"struggling|can't cope|not coping|falling apart|breaking point|breakdown",
        r"panic(?: attacks?)?|anxious|anxiety|overwhelmed|exhausted|stressed",
        r"(?:feel|feeling|felt|really|so|very|super|pretty)"
        r" (?:low|down|awful|alone|numb|miserable)",
        r"low mood|mood has (?:dipped|dropped)|depressed|depression",
        r"lonely|crying|cried|in pieces|a mess|in a (?:really )?bad place",
        r"(?:everything|it all|it's|feels) too much",
        r"grieving|grief|so sad|upset|useless",
        r"hate myself",
        r"get out of bed",
        r"rough night",
        r"rubbish|meltdown|not doing (?:great|well|good|ok|okay)|on top of me|worried|scared",
        r"feel(?:ing)? (?:flat|empty|teary|hopeless)|fed up|on edge|shattered|terrified",
        r"(?:really|so|very) (?:hard|tough)|tough (?:week|day|time)|not in a good way",
        negation_inside=True,
    ),
)

# ---------------------------------------------------------------------------
# Negation and time: read from the clause around a match.
# ---------------------------------------------------------------------------

_CLAUSE_BREAK = re.compile(r"[.!?;,]| but | and | although | though ")
_NEGATORS = frozenset(
    {
        "not",
        "never",
        "no",
        "nothing",
        "without",
        "don't",
        "doesn't",
        "didn't",
        "won't",
        "wouldn't",
        "haven't",
        "hasn't",
        "hadn't",
        "isn't",
        "aren't",
        "wasn't",
        "can't",
        "couldn't",
        "shouldn't",
    }
)
# "can't stop thinking about ...", "not sure I can ..." and "no longer want to ..."
# affirm rather than deny what follows.
_NOT_A_NEGATION = frozenset({"stop", "sure", "longer", "help", "know", "think"})
_NEGATION_WINDOW_WORDS = 6
_PAST = re.compile(
    r"\b(?:(?:weeks|months|years) ago|last year|used to|when i was|as a (?:teenager|kid|child)"
    r"|in the past|a while ago|years back|at school|at uni)\b"
)


# Clauses and sentences are looked for only this far around a match, so a long text
# full of matches stays linear.
_CONTEXT_CHARS = 300


def _clause_start(text: str, position: int) -> int:
    window_start = max(0, position - _CONTEXT_CHARS)
    starts = [match.end() for match in _CLAUSE_BREAK.finditer(text, window_start, position)]
    return starts[-1] if starts else window_start


def _is_negated(text: str, start: int, end: int, *, inside: bool) -> bool:
    window_end = start if inside else end
    words = text[_clause_start(text, start) : window_end].split()
    words = words[-(_NEGATION_WINDOW_WORDS + (0 if inside else 8)) :]
    for index, word in enumerate(words):
        following = words[index + 1] if index + 1 < len(words) else ""
        if word in _NEGATORS and following not in _NOT_A_NEGATION:
            return True
    return False


def _told_as_past(text: str, start: int) -> bool:
    before = text[max(0, start - _CONTEXT_CHARS) : start]
    after = text[start : start + _CONTEXT_CHARS]
    sentence = re.split(r"[.!?]", before)[-1] + re.split(r"[.!?]", after)[0]
    return bool(_PAST.search(sentence))


# ---------------------------------------------------------------------------
# Assessment
# ---------------------------------------------------------------------------

_TRUNCATED_REASON = RiskReason(
    rule="not-fully-read",
    label=f"Too long to check in full: only the first {MAX_CHARS:,} characters were read",
    excerpt="",
    level="medium",
)


def _reason_for(rule: _Rule, text: str, match: re.Match[str]) -> RiskReason:
    start, end = match.span()
    level = rule.level
    label = rule.label
    if rule.past_lowers and level == "high" and _told_as_past(text, start):
        level, label = "medium", f"{label} (told as in the past)"
    return RiskReason(
        rule=rule.rule,
        label=label,
        excerpt=match.group(0).strip(),
        level=level,
        negated=not rule.negation_ignored
        and _is_negated(text, start, end, inside=rule.negation_inside),
    )


def _reasons(text: str) -> list[RiskReason]:
    # One mark per character an earlier rule has matched; the same words matched
    # twice by one rule give one reason (a dict keeps the first, in order).
    claimed = bytearray(len(text))
    found: dict[RiskReason, None] = {}
    for rule in _RULES:
        for match in rule.pattern.finditer(text):
            start, end = match.span()
            if end == start or any(claimed[start:end]):
                continue
            claimed[start:end] = b"\x01" * (end - start)
            found.setdefault(_reason_for(rule, text, match))
    return list(found)


def _level_of(reasons: list[RiskReason]) -> str:
    counted = [reason.level for reason in reasons if not reason.negated]
    return max(counted, key=_RANK.__getitem__, default="none")


def risk_language_assess(text: str) -> RiskAssessment:
    """Assess a client's free text for risk language.

    Raises TypeError for anything but a string. Empty or blank text is "none".
    Only the first MAX_CHARS characters are read; a longer text is marked
    ``truncated`` and carries a medium reason saying so, because an unread
    tail could hold a disclosure.
    """
    if not isinstance(text, str):
        raise TypeError(f"risk_language_assess expects text as str, not {type(text).__name__}")
    truncated = len(text) > MAX_CHARS
    prepared = _mask_idioms(_normalise(text[:MAX_CHARS]))
    reasons = _reasons(prepared)
    if truncated:
        reasons.append(_TRUNCATED_REASON)
    reasons.sort(key=lambda reason: (reason.negated, -_RANK[reason.level]))
    return RiskAssessment(level=_level_of(reasons), reasons=tuple(reasons), truncated=truncated)
