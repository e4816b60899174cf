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
5. The concern lexicon (below) reads what the words are about, by category
   (death or ending, wanting to die, method or means, goodbye, intent or timing,
   hopelessness, self-harm, harm to others, abuse), sentence by sentence and
   across a sentence and the one before. Combinations raise the level: intent or
   timing with a method or an ending is high; any strong word of concern is
   medium. It only adds a ``concern-words`` reason when it raises the level above
   what the phrase rules found, and the reason names every category and word.
6. The level is the highest level among the reasons that are not negated.
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
    (r"\b(?:2nite|2night|tonite|tonyt)\b", "tonight"),
    (r"\b(?:tmrw|tmr|tmrow|2moro|2morrow|tomoz|tomorow)\b", "tomorrow"),
    (r"\bu\b", "you"),
    (r"\bur\b", "your"),
    (r"\bsu[i1!]?[cs][i1!]?d(?:al|le|el)\b", "suicidal"),
    (r"\bsu[i1!]?[cs][i1!]?de\b|\bsewerslide\b", "suicide"),
    (r"\bk[i1!]ll\b|\bkil\b", "kill"),
    (r"\bd[i1!]e+\b|\bdiee+\b", "die"),
    (r"\bkys\b", "kill yourself"),
    (r"\bmy ?self\b|\bmeself\b", "myself"),
    (r"\bno ?one\b|\bno-one\b", "nobody"),
    (r"\bcannot\b|\bcan not\b", "can't"),
    (r"\bdo not\b", "don't"),
    (r"\bam not\b", "'m not"),
    (r"\bi am\b", "i'm"),
    (r"\bself ?-? ?harm", "self-harm"),
    (r"\bstep ?(mum|mom|dad|father|mother|brother|sister|son|daughter)\b", r"step\1"),
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
    r"|blood (?:pressure|tests?|sugars?|results|work|donor|bank|donation|count)"
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
        r"(?:make sure|hope) i (?:don't|never) wake up",
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
# Concern lexicon: words by meaning, combined per sentence.
#
# The phrase rules above know particular wordings; this layer knows what the words
# are about. Each category has "strong" cues (enough on their own for a person to
# read the message) and "weak" cues (everyday words that matter only next to
# another category: "tonight", "train", "tablets"). Within a sentence, or a sentence
# and the one before it, the categories found set a level:
#
# - high: first person, and intent or timing together with a method, means or
#   ending, with enough weight (see ``_HIGH_POINTS``); a goodbye or putting
#   affairs in order together with any other category; self-harm told now;
#   harm to someone else with intent; someone hurting or controlling them.
# - medium: any strong cue (except intent alone), or weak cues from two
#   categories.
# - low: intent or timing words alone ("I've made up my mind").
#
# A cue negated in its own clause ("I'm not going to the bridge") does not count,
# nor do words inside a phrase an earlier rule matched and found negated, nor
# idioms (already masked). The reason names every category and word that counted.
# ---------------------------------------------------------------------------

_MEDS = (
    r"pills?|pils|tablets?|tabs|meds|medication|medicines?|prescriptions?|paracet\w*|parac[eo]t\w*"
    r"|tylenol|acetaminophen|ibuprofen|aspirin|co-?codamol|codeine|tramadol|oxy\w*|fentanyl"
    r"|morphine|opioids?|opiates?|heroin|insulin|zopiclone|diazepam|valium|xanax|sertraline"
    r"|citalopram|fluoxetine|prozac|amitriptyline|mirtazapine|quetiapine|lithium"
    r"|antidepressants?|painkillers?|sleeping (?:pills|tablets)|sleepers"
)
_BODY = r"(?:arms?|legs?|wrists?|thighs?|skin|stomach|hips?|face|head|hands?|chest|body)"
_PERSON = (
    r"(?:him|her|them|someone|somebody|anyone|anybody|everyone|people|you"
    r"|(?:my|the|that|his|her|their) (?:\w+ )?(?:dad|father|mum|mom|mother|stepdad|stepmum"
    r"|brother|sister|son|daughter|baby|kids?|children|child|husband|wife|partner|boyfriend"
    r"|girlfriend|ex|boss|neighbou?r|teacher|friend|flatmate|housemate|colleague|manager"
    r"|family|guy|man|woman|lad|girl|boy))"
)
_HOME_PERSON = (
    r"(?:he|she|they|him|her|them|my (?:\w+ )?(?:dad|father|mum|mom|mother|stepdad|stepmum"
    r"|stepfather|stepmother|husband|wife|partner|boyfriend|girlfriend|ex|brother|sister|uncle"
    r"|aunt|carer|grandad|grandfather|grandma|cousin|coach|landlord))"
)

# category -> (label, strong cues, weak cues)
_LEXICON: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "ending": (
        "death or no longer being around",
        (
            r"unalive\w*|sewerslide",
            r"(?:not|never|no longer|won't|don't (?:plan|expect|intend) on|don't (?:plan|expect"
            r"|intend) to) (?:\w+ ){0,2}be(?:ing)? (?:around|here|alive|a problem|in the way)"
            r"(?: \w+)?",
            r"(?:don't|can't) see myself (?:getting old|growing old|being here|living|alive"
            r"|making it|getting through|in (?:a|\w+) years?|at \d+)",
            r"if (?:something|anything) (?:happened|happens|were to happen|bad happened) to me"
            r"|wouldn't (?:fight it|fight back|mind dying|try to survive)",
            r"(?:and|to) (?:not|never) (?:come|coming|wake|waking) (?:back|up)",
            r"(?:end|ended|ending|take|took|taken|taking) (?:his|her|their) (?:own )?life",
            r"(?:everything|it all|it|this|things) (?:to )?be over",
            r"(?:go|going|went) through with it|(?:going to|gonna|will|'ll|about to|ready to"
            r"|should|would|that'll|that would|that should|enough to) do it",
            r"be gone(?: for good| forever| soon| by)?|be out of (?:the|everyone's) way",
            r"(?:end|ending|ended|finish|finishing) (?:it|things|this|everything|my life|me)",
            r"(?:never|not) (?:to )?wake up|sleep forever|(?:the )?big sleep|rest in peace",
            r"leave (?:this|the) (?:world|earth|planet)|cease to exist|stop existing"
            r"|not exist(?:ing)?",
            r"(?:join|be with|see) (?:my |her |him |them )?\w* ?"
            r"(?:in heaven|on the other side|again soon)",
            r"(?:all|it) (?:will|'ll|would|'d) (?:all )?be over|over soon|the end of me",
            r"(?:my|an) exit|check(?:ing)? out (?:early|for good)|catch the bus|ctb",
            r"(?:my|own) (?:death|funeral|grave)|after i(?:'m| am) (?:dead|gone)",
        ),
        (
            r"di(?:e|es|ed|ing)|dead|death|deaths|gone|disappear\w*|vanish\w*|heaven|afterlife",
            r"no more|peace|forever|permanently|for good",
        ),
    ),
    "wish-to-die": (
        "wanting to die or be gone",
        (
            r"(?:want|wanted|wanting|wish|ready|need) to (?:die|be dead|be gone|disappear"
            r" forever|stop existing|not exist)",
            r"(?:want|wish|need) (?:everything|it all|it|this|things|my life) to be over",
            r"(?:not|never|won't) (?:\w+ ){0,2}be (?:around|here|alive) (?:much longer|for"
            r" (?:much )?long|anymore|any more)",
        ),
        (),
    ),
    "method": (
        "a method or means",
        (
            r"ropes?|noose|ligature|overdos\w*|over ?dose|od(?:'?d|ing)?|o\.d\.?",
            r"guns?|firearms?|shotguns?|rifles?|pistols?|bullets?|razors?|blades?|lethal|fatal",
            r"carbon monoxide|exhaust(?: pipe)?|hosepipe|charcoal|plastic bag|helium|bleach"
            r"|antifreeze|weedkiller|poison\w*|cyanide",
            r"hang(?:ing|ed)? (?:myself|from)|hung myself|slit\w*|slash\w* (?:my )?wrists?"
            r"|(?:my )?veins?|arter(?:y|ies)|wrists?",
            r"jump\w* (?:off|from|in front|out of|into)|(?:step|stepp\w*|walk\w*|throw\w*|lie|lay"
            r"|lying|laying|run\w*) (?:out )?(?:in front of|into|onto|on) (?:a |the |an )?"
            r"(?:oncoming )?(?:train|tracks?|traffic|road|lorry|truck|bus|car|line|railway"
            r"|motorway)",
            r"swerv\w*|oncoming|(?:drive|drove|driving|crash\w*|steer\w*) (?:my car |the car )?"
            r"(?:into|off) (?:a |the )?(?:wall|tree|bridge|cliff|road|river|lorry|truck|traffic)",
            r"drown\w*|(?:weights|stones|rocks) in my pockets|(?:walk|swim)\w* (?:out )?into the"
            r" (?:sea|river|lake|water)",
            r"(?:mix|mixing|mixed|wash\w* (?:them )?down) (?:\w+ )?(?:with|and) (?:alcohol|vodka"
            r"|wine|drink|booze|whisky|gin)",
            r"(?:all|every one) of (?:my |the |them|these|those)?(?:" + _MEDS + r")?"
            r"|(?:whole|entire|full) (?:box|bottle|packet|pack|strip|lot|supply)"
            r"|(?:boxes|packets|bottles|packs|strips) of|a (?:month|week)'s (?:supply|worth)"
            r"|enough (?:" + _MEDS + r")|(?:stash|stockpile|hoard|collection) of",
            r"(?:stockpil|hoard)\w*|(?:saving|saved|collecting|collected|keeping|kept) (?:up )?"
            r"(?:my |the |some |all )?(?:" + _MEDS + r")",
            r"(?:quickest|easiest|painless|quick|fastest|surest|best|cleanest) way(?: out| to go"
            r"| to do it| to die| to end)?|painless(?:ly)?",
            r"(?:doesn't|don't|won't) stop (?:at|here)|fast trains?|non-stop|express trains?",
            r"(?:i'm|i am|stood|standing|sitting|sat|up) (?:on|at) (?:the |a |top of the )?"
            r"(?:bridge|roof|rooftop|ledge|edge|cliff|tracks|railway|balcony|top floor"
            r"|multi-?storey)",
            r"crash\w* (?:my|the) car|(?:set fire to|burn) myself",
            r"all (?:my|the|of) (?:\w+ )?(?:" + _MEDS + r")|(?:handful|loads|lots|a load|a bunch"
            r"|dozens|hundreds) of (?:\w+ )?(?:" + _MEDS + r")",
            r"(?:getting|got|get|laid|laying|lined|lining|counting|counted|emptied|emptying)"
            r" (?:all )?(?:the |my |some )?(?:" + _MEDS + r") (?:out|up)",
            r"(?:the|all the) (?:stuff|things) i need|got everything (?:i need|ready)",
            r"how (?:many|much) (?:\w+ ){0,3}(?:to die|would it take|does it take"
            r"|is (?:fatal|lethal|enough))|how high|how long (?:it takes|does it take) to",
        ),
        (
            _MEDS,
            r"bridges?|roofs?|rooftop|ledge|balcony|cliffs?|multi-?storey|top floor|tall building"
            r"|height|heights|edge|jump\w*|fall|falling",
            r"trains?|tracks?|railway|rail line|level crossing|platform|traffic|motorway|highway"
            r"|lorry|lorries|truck|crash\w*|car",
            r"station|swallow\w*|downed|necked",
            r"knife|knives|belt|cord|cable|scarf|beam|banister|loft|hook|sea|river|canal|lake"
            r"|reservoir|bath|gas|oven|petrol|lighter|fire|burn\w*",
        ),
    ),
    "finality": (
        "a goodbye or putting affairs in order",
        (
            r"good ?-?byes?|farewell|bye forever|bye for good|last goodbye",
            r"(?:my|this|the|our) (?:very )?(?:last|final) (?:\w+ )?(?:session|message|time"
            r"|day|night|week|goodbye|letters?|notes?|words|texts?|messages?|chance|appointment"
            r"|calls?)",
            r"tell (?:my|them|everyone|him|her) (?:\w+ )?(?:i'm sorry|i love|sorry|goodbye)",
            r"(?:don't|no need to|no point) (?:bother )?(?:booking|rebooking|scheduling)",
            r"final (?:message|goodbye|words|note|letter|decision)",
            r"(?:written|wrote|writing|updated|making|made|sorted|changed) (?:out )?(?:a |my )?will"
            r"|my will\b|affairs in order|loose ends|tied up|put (?:everything|things) in order",
            r"(?:giv(?:e|es|ing|en)|gave) (?:away )?(?:all )?(?:of )?(?:my|away) (?:\w+ )?(?:things"
            r"|stuff|possessions|belongings|clothes|books|games|cat|dog|pets?|guitar|jewell?ery"
            r"|money|savings|records|collection|console|car)",
            r"(?:look|looking|take|taking) (?:after|care of) (?:my|the) \w+"
            r" (?:for me|when|after|once)",
            r"thank (?:you|u) for everything|thanks for everything|sorry for everything"
            r"|forgive me|remember me|don't (?:be sad|blame yourself|miss me)",
            r"won't (?:need|be needing|be coming|be at|be there|make it|see you|be seeing)"
            r"|(?:no need|don't need) to (?:book|rebook|schedule|see me)|cancel (?:all )?(?:my )?"
            r"(?:future |other |remaining )?(?:sessions|appointments)",
            r"(?:letters?|notes?) (?:to|for) (?:my|everyone|the)|passwords|life insurance"
            r"|(?:my|the) funeral|who gets my|when i'm gone|once i'm gone|after i'm gone",
            r"not long now|see you on the other side|(?:this|it) (?:is|'s) the end",
        ),
        (r"last|final|thank you|thanks|sorry|love you|take care|miss you",),
    ),
    "intent": (
        "intent, a plan or a time",
        (
            r"(?:i've |i have |i'm |i )?decided|made up my mind|mind is made up|(?:my )?decision"
            r" is made",
            r"go(?:ing)? through with it|(?:going to|gonna|will|'ll|about to|ready to) do it"
            r"|no turning back|time has come|enough is enough|it's time",
            r"(?:i'm|i am) ready|ready to go|prepared",
            r"plan(?:s|ned|ning)?|(?:set|picked|chosen|chose|pick) (?:a |the )?(?:date|day|time"
            r"|place|spot)",
            r"research\w*|looked (?:it )?up|look(?:ing)? up|googl\w*|search\w*|(?:know|worked out"
            r"|figured out|found out) (?:exactly )?(?:how|where|when|the)",
            r"when (?:everyone|they|he|she|the kids)(?:'s|'re| is| are)? (?:asleep|out|gone|in bed"
            r"|at work|away)|once (?:everyone|they|he|she|the kids)(?:'s|'re| is| are)? "
            r"(?:asleep|out|gone|in bed|at work|away)",
            r"bought|ordered|got hold of|picked up|been (?:collecting|saving|stockpiling)",
            r"on purpose|deliberately|intentionally|know (?:exactly )?what (?:it|they|that|\w+)"
            r" (?:would|will|'d|could) do|looked at (?:\w+ )?(?:times|timetables?|heights|doses)",
            r"in my (?:hand|hands|pocket|bag|wardrobe|drawer|room|car)|in front of me"
            r"|right here|next to me|hid(?:den|ing)? (?:it|them)",
        ),
        (
            r"tonight|tomorrow|today|this (?:weekend|evening|week)|soon|finally|right now"
            r"|an hour ago|just now|earlier|already",
            r"going to|gonna|will|'ll|about to|on (?:mon|tues|wednes|thurs|fri|satur|sun)day",
        ),
    ),
    "hopelessness": (
        "hopelessness or feeling trapped",
        (
            r"(?:no|any) point|pointless|(?:don't|can't) see (?:the|any) point"
            r"|what's the (?:point|use)",
            r"can't (?:go on|carry on|keep going|take (?:it|this|any ?more)|do this|face"
            r"|stand (?:it|this|myself|being)|bear (?:it|this|to)|live like this"
            r"|see a way)",
            r"burden|better off without me|better without me|(?:lost|losing|no) (?:the |my )?will"
            r" to live|nothing to live for|no reason to (?:live|stay|keep going|be here|go on)",
            r"hopeless|no way out|trapped|no future|no hope|never (?:going to )?get (?:any )?better"
            r"|(?:had|have had|i've had) enough|nothing left|worthless|nothing matters",
            r"better off (?:if i|when i'm|once i'm)|(?:bleak|dark|black|morbid|scary|horrible)"
            r" thoughts|(?:don't|can't) (?:really )?see why i (?:even )?bother",
            r"not sure (?:\w+ ){0,3}worth (?:it|living)",
            r"nobody (?:would|will|'d) (?:miss|notice|care)|nobody cares|no one cares",
            r"(?:everyone|they|the world|my family)(?:'d| would| will)(?: all)?"
            r" be (?:better|happier|fine)",
            r"(?:want|need|make) (?:it|this|everything|the pain|the noise|the thoughts|the voices)"
            r" (?:all )?to (?:stop|end|go away)|want out|need out",
            r"(?:tired|sick|exhausted) of (?:everything|it all|fighting|trying|living|being|life)",
            r"give up|gave up|giving up|given up|done with (?:everything|life|it all|this|me)",
            r"why (?:do i )?bother|why am i (?:even )?(?:here|alive)|empty inside|dead inside",
            r"(?:can't|don't) (?:imagine|picture|see) (?:a |any |my )?"
            r"(?:future|tomorrow|next year)",
        ),
        (
            r"tired|exhausted|alone|failure|empty|numb|done|nobody|useless|stuck|pain|hurts"
            r"|unbearable",
        ),
    ),
    "self-harm": (
        "self-harm",
        (
            r"self-harm\w*|self injur\w*|(?:my|did|doing|relapsed? (?:on |with )?)sh|sh again",
            r"(?:cut|cuts|cutting|burn\w*|scratch\w*|carv\w*|hit\w*|punch\w*|bang\w*|bit|bite"
            r"|biting|pick\w*|scrap\w*|pinch\w*|stab\w*) (?:into )?(?:myself|my " + _BODY + r")",
            r"relaps\w*|cut again|cutting again|(?:cut|cuts|cutting) (?:deep|deeper)",
            r"(?:scars?|cuts|marks|wounds|burns|bruises) (?:on|across|up|down) my",
            r"bl(?:ed|eed|eeding|eeds)|stitches|steri-?strips|plasters on",
            r"long sleeves|hid(?:e|ing)? (?:the|my) (?:marks|cuts|arms|scars|legs)",
            r"starv\w* myself|purg\w*|made myself sick|make myself sick|(?:days|weeks|months)"
            r" clean",
        ),
        (r"cut|cuts|cutting|scars?|marks|scratch\w*|burns?|wounds?|sharp|sharpener|blood",),
    ),
    "harm-others": (
        "harm to someone else",
        (
            r"(?:kill|hurt|stab|strangle|smash|batter|beat|punch|shoot|attack|throttle|suffocate"
            r"|drown|shake|smother|poison|choke|hit|slap|kick|smack|knock)(?:s|ed|ing)? " + _PERSON,
            r"violent thoughts|thoughts (?:of|about) (?:hurting|killing|harming)|revenge"
            r"|get (?:back at|even with)|make (?:him|her|them|you) (?:suffer|pay)|teach (?:him|her"
            r"|them|you) a lesson",
            r"(?:bring|take|carry|carrying|bringing) a (?:knife|gun|weapon|blade) (?:to|into|in)",
            r"(?:snap|snapped|snapping|lose it|lose control|lash out|lashing out) (?:with|at|on) "
            + _PERSON,
            r"(?:set fire to|burn down|torch) (?:his|her|their|the) \w+|with (?:him|her|them)"
            r" (?:in|inside) it",
            r"what i (?:might|could|would|'d) do to (?:him|her|them|the baby|my)",
        ),
        (r"angry|rage|furious|snap|lose it|lash out|weapon",),
    ),
    "abuse": (
        "being hurt, frightened or controlled by someone",
        (
            _HOME_PERSON + r" (?:\w+ )?(?:hits|hit|hitting|slaps|slapped|kicks|kicked|punches"
            r"|punched|pushes|pushed|shoves|shoved|grabs|grabbed|chokes|choked|strangles|strangled"
            r"|beats|beat|touches|touched|hurts|hurt|rapes|raped|forces|forced|spat|spits"
            r"|throws|threw|bit|bites|burns|burnt|slapping|kicking|punching|pushing|grabbing"
            r"|choking|touching|hurting)(?: me| at me| my)",
            _HOME_PERSON + r" (?:said |says |told me )?(?:he|she|they)?(?:'ll|'d| will| would"
            r"| is going to| was going to) (?:\w+ )?(?:smash|kill|hurt|hit|beat|batter|kick"
            r"|punch|break|stab|burn|throw)",
            r"if i (?:tell|told|say anything|speak up|go to the police)",
            r"(?:frightened|scared|afraid|terrified) (?:of|what) " + _HOME_PERSON,
            r"walk\w* on eggshells|(?:not|never) allowed to (?:leave|go|see|have|use|eat|talk"
            r"|speak|sleep)|won't let me (?:leave|go|see|have|eat|sleep|talk|out|use)",
            r"locked (?:me )?(?:in|out)|locks (?:me|the door)|takes? (?:away )?my (?:phone|money"
            r"|keys|passport|bank card|car)|took (?:away )?my (?:phone|money|keys|passport)",
            r"(?:checks|reads|goes through|tracks|monitors|follows) my (?:phone|messages|location"
            r"|texts|emails|every move)|controls? (?:my|all|the|everything)",
            r"threaten\w*|(?:don't|mustn't|can't|not to) tell anyone|(?:our|a) secret|if (?:he|she"
            r"|they) finds? out",
            r"bruises?|black eye|made me (?:do|touch|watch|have)|touch\w* me|in my bed",
            r"stalk\w*|following me|no food in the house|left (?:me|us) (?:alone|on my own)"
            r"|kicked me out|threw me out",
        ),
        (r"shouting|screaming|screams|shouts|drunk|rage|angry|temper|yells|yelling",),
    ),
}

_CATEGORY_ORDER = tuple(_LEXICON)


def _compile(alternatives: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b")


_CUES: tuple[tuple[str, bool, re.Pattern[str]], ...] = tuple(
    (category, strong, _compile(cues))
    for category, (_, strong_cues, weak_cues) in _LEXICON.items()
    for strong, cues in ((True, strong_cues), (False, weak_cues))
    if cues
)

_FIRST_PERSON = re.compile(r"\b(?:i|i'm|i'll|i've|i'd|me|myself)\b")
_THIRD_PERSON = re.compile(r"\b(?:he|she|they|his|her|their|he's|she's|they're)\b")
_SENTENCE_END = re.compile(r"[.!?\n]+")
# A goodbye that arranges to meet again is not a last goodbye.
_MEETING_AGAIN = re.compile(
    r"\b(?:see you (?:next|on|after|at|soon|then|tomorrow|in|later)|next (?:week|session|time)"
    r"|after the (?:holidays|break|weekend)|when i'm back|catch up)\b"
)
# Points for the high combination: a strong cue is 2, a weak one 1, per category.
_HIGH_POINTS = 4


@dataclass(frozen=True)
class _Cue:
    category: str
    strong: bool
    start: int
    end: int
    words: str


def _cues(text: str, refused: bytearray) -> list[_Cue]:
    found: list[_Cue] = []
    # A weak cue inside a strong cue's words ("cut" in "cut myself") adds nothing.
    taken = bytearray(len(text))
    for category, strong, pattern in sorted(_CUES, key=lambda cue: not cue[1]):
        for match in pattern.finditer(text):
            start, end = match.span()
            if end == start or any(refused[start:end]):
                continue
            if strong:
                taken[start:end] = b"\x01" * (end - start)
            elif any(taken[start:end]):
                continue
            if _is_negated(text, start, end, inside=True):
                continue
            found.append(_Cue(category, strong, start, end, match.group(0)))
    return found


def _window_level(cues: list[_Cue], text: str, start: int, end: int) -> tuple[str, str]:
    """The level a span's cues give, and which combination gave it."""
    strong = {cue.category for cue in cues if cue.strong}
    present = {cue.category for cue in cues}
    if not present:
        return "none", ""
    span = text[start:end]
    # Messages come from the client: a sentence is theirs unless it is only about
    # someone else ("my sister says she wants to die").
    first_person = bool(_FIRST_PERSON.search(span)) or not _THIRD_PERSON.search(span)

    def count(category: str) -> int:
        return sum(1 for cue in cues if cue.category == category)

    def points(category: str) -> int:
        return min(3, sum(2 if cue.strong else 1 for cue in cues if cue.category == category))

    if first_person:
        lethal = max(points("method"), points("ending"), points("wish-to-die"))
        weight = points("intent") + lethal + points("hopelessness")
        if points("intent") and lethal and weight >= _HIGH_POINTS:
            return "high", "intent or timing with a method or an ending"
        if "wish-to-die" in strong:
            return "high", "wanting to die"
        if "method" in strong and "ending" in strong:
            return "high", "a method or means with an ending"
        if "hopelessness" in strong and "method" in present:
            return "high", "hopelessness with a method or means"
        if "finality" in strong and not _MEETING_AGAIN.search(span):
            if len(present) >= 2:
                return "high", "a goodbye with another sign"
            if count("finality") >= 2:
                return "high", "more than one sign of a goodbye"
        if "self-harm" in strong and (len(present) >= 2 or count("self-harm") >= 2):
            return "high", "self-harm with another sign"
        if "abuse" in strong and (len(present) >= 2 or count("abuse") >= 2):
            return "high", "being hurt or controlled, with another sign"
    if "harm-others" in strong and points("intent"):
        return "high", "harm to someone else with intent"
    if strong - {"intent"}:
        return "medium", "a word of concern"
    if len(present - {"intent"}) >= 2:
        return "medium", "signs from more than one category"
    if present & {"method", "ending"} and ("intent" in strong or count("intent") >= 2):
        return "medium", "intent or timing near a method or an ending"
    if "intent" in strong:
        return "low", "intent or timing words alone"
    return "none", ""


def _concern_reasons(text: str, refused: bytearray, existing: list[RiskReason]) -> list[RiskReason]:
    cues = _cues(text, refused)
    if not cues:
        return []
    bounds: list[tuple[int, int]] = []
    position = 0
    for match in _SENTENCE_END.finditer(text):
        bounds.append((position, match.end()))
        position = match.end()
    if position < len(text):
        bounds.append((position, len(text)))
    by_sentence: list[list[_Cue]] = [[] for _ in bounds]
    index = 0
    for cue in sorted(cues, key=lambda c: c.start):
        while index < len(bounds) - 1 and cue.start >= bounds[index][1]:
            index += 1
        by_sentence[index].append(cue)
    reasons: list[RiskReason] = []
    already = max((_RANK[r.level] for r in existing if not r.negated), default=_RANK["none"])
    previous_rank = 0
    for index, sentence_cues in enumerate(by_sentence):
        if not sentence_cues:
            previous_rank = 0
            continue
        start, end = bounds[index]
        alone, why = _window_level(sentence_cues, text, start, end)
        rank = _RANK[alone]
        chosen, chosen_cues = (alone, why), sentence_cues
        if index and by_sentence[index - 1]:
            pair_cues = by_sentence[index - 1] + sentence_cues
            pair_start = bounds[index - 1][0]
            paired, pair_why = _window_level(pair_cues, text, pair_start, end)
            if _RANK[paired] > max(rank, previous_rank):
                chosen, chosen_cues = (paired, pair_why), pair_cues
        level, why = chosen
        previous_rank = rank
        if _RANK[level] <= already:
            continue
        reasons.append(_concern_reason(level, why, chosen_cues, text))
    return reasons


def _concern_reason(level: str, why: str, cues: list[_Cue], text: str) -> RiskReason:
    named: dict[str, list[str]] = {}
    for cue in cues:
        words = named.setdefault(cue.category, [])
        if cue.words not in words:
            words.append(cue.words)
    parts = "; ".join(
        f"{_LEXICON[category][0]}: " + ", ".join(f"'{word}'" for word in named[category])
        for category in _CATEGORY_ORDER
        if category in named
    )
    start = min(cue.start for cue in cues)
    end = max(cue.end for cue in cues)
    # Begin the excerpt at a word's start ("i'll", not "'ll").
    word_start = text.rfind(" ", max(0, start - 40), start)
    if word_start >= 0:
        start = word_start + 1
    elif start <= 40:
        start = 0
    acts = any(cue.category in ("method", "self-harm") for cue in cues)
    if level == "high" and acts and _told_as_past(text, start):
        level, why = "medium", f"{why}, told as in the past"
    label = f"Words of concern ({why}) — {parts}"
    return RiskReason(
        rule="concern-words",
        label=label,
        excerpt=text[start:end][:200].strip(),
        level=level,
    )


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
    # Words inside a phrase found negated ("I would never hurt myself") are not
    # read again by the concern lexicon.
    refused = bytearray(len(text))
    found: dict[RiskReason, None] = {}
    for rule in _RULES:
        for match in rule.pattern.finditer(text):
            start, end = match.span()
            if end == start or any(claimed[start:end]):
                continue
            claimed[start:end] = b"\x01" * (end - start)
            reason = _reason_for(rule, text, match)
            if reason.negated:
                refused[start:end] = b"\x01" * (end - start)
            found.setdefault(reason)
    for reason in _concern_reasons(text, refused, list(found)):
        found.setdefault(reason)
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
