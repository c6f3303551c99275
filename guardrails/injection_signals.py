"""Signals of prompt injection: each pattern with its weight in a customer message and in a
help-center passage, for en/es/de/fr.

The patterns read text already normalised by `guardrails.injection.normalize` (case folded,
accents stripped, disguised letters restored), so they are written in plain lower-case ASCII.
Kept apart from the scoring so the vocabulary can grow without touching how scores combine.
"""

from __future__ import annotations

import re

# --- vocabulary --------------------------------------------------------------------------

_W = r"[\w'-]+"  # one word
_AI = (r"(?:ai|a\.i\.|artificial intelligence|llm|large language model|language model|chat ?bot|bot|"
       r"assistant|virtual assistant|ai assistant|model|gpt|chatgpt|claude|gemini|copilot|ai agent)s?")

# "ignore ... instructions": verbs, qualifiers that point at earlier or system text, nouns
_OVERRIDE_VERBS = (
    r"ignore|disregard|forget|override|overrule|bypass|skip|abandon|discard|neglect|set aside|throw away|"
    r"stop following|do not follow|don't follow|dont follow|no longer follow|"
    r"ignora|ignore|ignorad|ignoren|ignorar|olvida|olvide|olvidad|olviden|olvidar|omite|omita|omitir|descarta|"
    r"descarte|descartar|haz caso omiso (?:de|a)|haga caso omiso (?:de|a)|no hagas caso (?:de|a)|no sigas|"
    r"deja de seguir|pasa por alto|salta(?:te)?|anula|sobrescribe|"
    r"ignorier\w*|vergiss|vergesst|vergessen sie|missacht\w*|uberschreib\w*|umgeh\w*|verwirf|verwerfen sie|"
    r"befolge nicht|befolgen sie nicht|"
    r"ignorez|ignorer|oublie|oubliez|oublier|ne tiens pas compte|ne tenez pas compte|ne tiens plus compte|"
    r"ne tenez plus compte|fais abstraction|faites abstraction|outrepasse|outrepassez|contourne|contournez|"
    r"passe outre|passez outre|ne suis plus|ne suivez plus|ne respecte plus|ne respectez plus")
_OVERRIDE_QUALIFIERS = (
    r"all|any|every|each|previous|prior|above|earlier|preceding|former|foregoing|initial|original|system|your|"
    r"its|these|those|old|existing|current|default|safety|developer|given|built-in|hidden|programmed|openai'?s|"
    r"todas|todos|cualquier|tus|sus|anteriores|previas|previos|iniciales|originales|precedentes|ocultas|"
    r"alle|allen|jegliche|samtliche|deine|ihre|vorherig\w*|vorig\w*|bisherig\w*|obig\w*|fruher\w*|"
    r"vorangegangen\w*|ursprungl\w*|anfangl\w*|system\w*|gegebenen|"
    r"toutes|tous|tes|vos|ses|precedentes?|anterieures?|initiales?|originales?|ci-dessus|cachees")
_OVERRIDE_NOUNS = (
    r"instructions?|instruction set|rules?|prompts?|directives?|guidelines?|guidance|programming|constraints?|"
    r"restrictions?|commands?|training|conditioning|system message|"
    r"instrucciones|instruccion|reglas|indicaciones|directrices|normas|ordenes|restricciones|programacion|pautas|"
    r"directivas|limitaciones|"
    r"anweisung\w*|regeln|instruktion\w*|vorgaben|richtlinien|befehle|systemprompt|einschrankungen|"
    r"beschrankungen|programmierung|direktiven|"
    r"consignes?|regles?|programmation|ordres")
_OVERRIDE_AFTER = (
    r"above|before|given|provided|you (?:were|have been) given|you received|you got|so far|until now|up to now|"
    r"before this|earlier|previously|de arriba|dadas|recibidas|hasta ahora|ci-dessus|recues|jusqu'ici|"
    r"jusqu'a present|oben|bisher|davor|zuvor")
# a customer taking back their own instructions, or delivery instructions, is not an attack
_ERRANDS = (r"delivery|deliveries|shipping|shipment|courier|parcel|package|gift\w*|entrega|envio|paquete|"
            r"liefer\w*|zustell\w*|versand\w*|paket\w*|livraison|colis|installation|setup|assembly|washing|care|"
            r"montage")
_OWN_INSTRUCTIONS = re.compile(rf"\b(?:my|mis|mi|meine?n?|mes|mon|ma|{_ERRANDS})\b")
_OWN_AFTER = re.compile(
    rf" ?(?:(?:about|for|regarding|on|concerning|sobre|para|de|del|zur?|zum|fur|uber|pour|concernant|sur) )?"
    rf"(?:(?:the|la|las|el|los|die|der|den|le|les|du|des|l') ?)?(?:{_ERRANDS})\b"
    r"| ?,? ?(?:that |which |que |die )?(?:i|yo|ich|je|j') ?(?:sent|gave|wrote|mentioned|left|added|put|te di|di|"
    r"envie|escribi|mande|geschickt|gegeben|geschrieben|ai envoye|ai donne|ai ecrit)\b")

_NO_LIMITS = (r"restrictions|limitations|limits|filters|filtering|censorship|rules|guidelines|guardrails|"
              r"boundaries|ethics|ethical \w+|morals|moral \w+|content polic\w+|safety \w+|constraints|principles|"
              r"confines")

# (signal, pattern, weight in a customer message, weight in a help-center passage)
_RULES: list[tuple[str, str, float, float]] = [
    # --- ignore / override earlier instructions
    ("override_instructions",
     rf"\b(?:{_OVERRIDE_VERBS})\b[\s,:]+(?:{_W}[\s,]+){{0,3}}?(?:{_OVERRIDE_QUALIFIERS})\b[\s,]*"
     rf"(?:{_W}[\s,]+){{0,3}}?(?:{_OVERRIDE_NOUNS})\b", 0.9, 0.9),
    ("override_instructions",
     rf"\b(?:{_OVERRIDE_VERBS})\b[\s,:]+(?:the |las |los |les |die |der )?(?:{_OVERRIDE_NOUNS}) "
     rf"(?:{_OVERRIDE_AFTER})\b",
     0.9, 0.9),
    ("override_instructions",  # German and French infinitive order: "alle vorherigen Anweisungen ignorieren"
     rf"\b(?:{_OVERRIDE_QUALIFIERS}) (?:{_W} ){{0,2}}?(?:{_OVERRIDE_NOUNS}) (?:{_W} ){{0,3}}?"
     r"(?:ignorieren|vergessen|missachten|uberschreiben|verwerfen|nicht mehr befolgen|ausser acht lassen)\b",
     0.9, 0.9),
    ("override_instructions",
     r"\b(?:previous|prior|above|earlier|old|original|initial|system|all|vorherigen|bisherigen|alle|anteriores|"
     r"previas|precedentes|anterieures) (?:instructions|rules|prompt|anweisungen|regeln|instrucciones|reglas|"
     r"consignes|regles) (?:are|is|sind|gelten|son|quedan|sont) (?:now |ab sofort |jetzt |nun |desormais )?"
     r"(?:void|invalid|cancel+ed|obsolete|revoked|null|no longer (?:valid|apply|applicable|in effect)|"
     r"ungultig|aufgehoben|nicht mehr gultig|ausser kraft|nulas|invalidas|anuladas|annulees|caduques|nulles)\b",
     0.9, 0.9),
    ("override_instructions",
     r"\b(?:the )?(?:following|new|these) (?:instructions|rules) (?:supersede|override|replace|take precedence)\b",
     0.8, 0.8),
    ("override_context",
     r"\b(?:ignore|disregard|forget) (?:all |everything |anything )?(?:of )?(?:the )?(?:above|before this|"
     r"you were told|you've been told|you have been told|that came before|prior text|previous text|text above|"
     r"previous context|prior context|your context)\b", 0.5, 0.4),
    ("override_context",
     r"\b(?:olvida|ignora|vergiss|ignoriere|oublie|oubliez|ignorez) (?:todo lo que te (?:dijeron|han dicho)|"
     r"alles,? was (?:man )?dir (?:gesagt|befohlen)|tout ce qu'on t'a dit|tout ce qui precede)\b", 0.5, 0.4),
    ("new_instructions",
     r"\b(?:new|updated|revised|real|actual|true|additional|secret|hidden|override|nuevas|neue|nouvelles) "
     r"(?:system )?(?:instructions|prompt|directives?|rules|instrucciones|anweisungen|consignes)\s*:", 0.6, 0.4),
    # --- reveal the system prompt
    ("prompt_leak",
     r"\b(?:reveal|show|print|display|output|repeat|recite|tell|give|share|leak|dump|expose|list|write|spell|"
     r"type|paste|copy|echo|provide|what(?:'s| is| are| was| were))\b(?: [\w'-]+){0,4}? (?:system|initial|"
     r"original|hidden|secret|internal|developer|confidential|pre-?|starting|underlying|verbatim|full|exact|entire)"
     r" ?(?:prompt|instructions?|directives?|configuration|system message)\b", 0.9, 0.7),
    ("prompt_leak",
     r"\b(?:reveal|show|print|display|output|repeat|recite|leak|dump|expose|paste|echo|tell me|give me|share)\b"
     r"(?: [\w'-]+){0,3}? your (?:prompt|instructions|programming|configuration|directives|system message)\b"
     r"(?! (?:for|on|about|regarding|to|how|in|when)\b)", 0.8, 0.5),
    ("prompt_leak",
     r"\bwhat (?:are|were) your (?:original |initial |exact |actual |real |secret |hidden )?"
     r"(?:instructions|directives|rules|guidelines)\b(?! (?:for|on|about|regarding|to|how|in|when)\b)", 0.6, 0.3),
    ("prompt_leak",
     r"\b(?:repeat|print|output|recite|copy|show|reveal) (?:me )?(?:the |all |everything |all the )?"
     r"(?:text|words|everything|content|lines?) (?:above|before this|preceding|at the (?:start|beginning))\b",
     0.6, 0.5),
    ("prompt_leak",
     r"\b(?:repeat|print|output|recite|copy|write)\b(?: [\w'-]+){0,6}? (?:verbatim|word for word|"
     r"(?:starting|beginning) with ['\"]?(?:you are|you're|your|the|i am|system))\b", 0.8, 0.5),
    ("prompt_leak", r"\b(?:system prompt|system message|initial prompt|hidden prompt|pre-?prompt)\b", 0.6, 0.3),
    ("prompt_leak",
     r"\b(?:muestra|muestrame|ensena|ensename|revela|revelame|imprime|repite|dime|escribe|copia|dame|cual es|"
     r"cuales son)\b(?: [\w'-]+){0,4}? (?:(?:el|tu|su|las|tus|sus) )?(?:prompt|instrucciones|mensaje|reglas|"
     r"configuracion) (?:del sistema|de sistema|inicial(?:es)?|original(?:es)?|ocult[oa]s?|secret[oa]s?|"
     r"internas?)\b", 0.9, 0.7),
    ("prompt_leak",
     r"\b(?:muestra|muestrame|revela|revelame|imprime|repite|dime|dame|ensename)\b(?: [\w'-]+){0,2}? "
     r"tus (?:instrucciones|indicaciones|directrices)\b(?! (?:para|sobre|de|del)\b)", 0.8, 0.5),
    ("prompt_leak",
     r"\b(?:zeig\w*|verrat\w*|gib|geben sie|druck\w*|wiederhol\w*|nenn\w*|schreib\w*|sag|sagen sie|"
     r"was (?:ist|sind|war|waren))\b(?: [\w'-]+){0,4}? (?:(?:dein|deine|deinen|ihr|ihre|ihren|den|die) )?"
     r"(?:system-?prompt|systemanweisung\w*|systemnachricht|system-?instruktion\w*|"
     r"(?:ursprungl|anfangl|versteckt|geheim|intern|initial)\w* (?:anweisung|prompt|instruktion|regeln|vorgabe)\w*|"
     r"(?:deine|ihre) (?:anweisungen|instruktionen|vorgaben|prompt)(?! (?:fur|zu|zum|zur|uber)\b))", 0.9, 0.7),
    ("prompt_leak",
     r"\b(?:montre|montrez|affiche|affichez|revele|revelez|imprime|imprimez|repete|repetez|donne|donnez|dis|"
     r"dites|ecris|ecrivez|copie|quel est|quelles sont|quels sont)\b(?: [\w'-]+){0,4}? (?:(?:le|la|les|ton|ta|"
     r"tes|votre|vos) )?(?:prompt|instructions|consignes|message|regles|configuration) (?:systeme|du systeme|"
     r"de systeme|initial\w*|originel\w*|original\w*|cache\w*|secret\w*|interne\w*)\b", 0.9, 0.7),
    ("prompt_leak",
     r"\b(?:montre|montrez|affiche|affichez|revele|revelez|repete|repetez|donne|donnez)(?:-moi| moi)?"
     r"(?: [\w'-]+){0,2}? (?:tes|vos) (?:instructions|consignes|directives)\b(?! (?:pour|sur|de|du|concernant)\b)",
     0.8, 0.5),
    ("prompt_leak", r"\b(?:prompt del sistema|instrucciones del sistema|systemprompt|system-prompt|"
                    r"systemanweisung\w*|prompt systeme|prompt du systeme|instructions systeme)\b", 0.6, 0.3),
    # --- persona hijacking and jailbreak families
    ("new_persona",
     r"\b(?:you are|you're|youre|u r) (?:now|going to be|about to (?:be|become)|henceforth)\b(?! (?:able|ready|"
     r"connected|talking|speaking|chatting|in the queue|being|signed|logged|verified|subscribed|eligible)\b)",
     0.5, 0.4),
    ("new_persona",
     r"\b(?:from now on|starting now|henceforth|for the rest of (?:this|the) conversation|for all future "
     r"(?:responses|answers|messages))\b,? (?:you|your|act|respond|answer|reply|behave|pretend|always|only)\b",
     0.5, 0.4),
    ("new_persona",
     r"\b(?:immerse yourself|you will (?:now )?(?:play|assume|take on|adopt) the role|simulate (?:an? )?"
     r"(?:ai|chatbot|model|mode)|stay in character|stay in role|break character|never break character|remain in "
     r"character)\b", 0.6, 0.4),
    ("new_persona",
     r"\b(?:ahora eres|a partir de ahora(?: eres| seras| actuaras| responderas)|desde ahora (?:eres|seras|actuaras)|"
     r"du bist (?:jetzt|nun|ab jetzt|ab sofort|von nun an)|ab (?:jetzt|sofort) bist du|von nun an bist du|"
     r"tu es (?:maintenant|desormais|a present)|vous etes (?:maintenant|desormais)|"
     r"a partir de maintenant,? (?:tu es|vous etes|tu seras|tu agis|agis))\b", 0.5, 0.4),
    ("persona_hijack",
     rf"\b(?:act|acting|behave|respond|answer|reply|roleplay|role-play|pose|pretend to be|become)(?: as| like)?"
     rf"(?: if you (?:are|were))? (?:an? |the |my )?(?:{_W} ){{0,2}}?(?:unrestricted|unfiltered|uncensored|jailbroken|"
     rf"evil|amoral|immoral|unethical|rogue|malicious|rebellious|unbound|unlimited|lawless|opposite|unhinged|"
     rf"unchained|liberated|free) (?:{_W} )?(?:ai|assistant|model|chatbot|bot|language model|version|llm|entity|"
     rf"persona|character|system|gpt|chatgpt)\b", 0.9, 0.9),
    ("persona_hijack",
     rf"\b(?:act|behave|respond|answer|pretend)(?: as if| like| as though) you (?:have|had|are|were) (?:no|not bound"
     rf"|free|without|freed|released)\b(?: {_W}){{0,3}}? (?:{_NO_LIMITS})\b", 0.9, 0.9),
    ("persona_hijack",
     rf"\bpretend (?:to be|you are|you're|that you are|that you're|you have|to have)\b(?: {_W}){{0,6}}? "
     r"(?:ai|assistant|model|chatbot|dan|unrestricted|no restrictions|uncensored|jailbroken|developer|"
     r"administrator|system)\b", 0.6, 0.5),
    ("persona_hijack",
     rf"\b(?:actua|actue|comportate|responde|haz de|finge ser|finge que eres|simula ser|verhalte dich|handle|"
     rf"agiere|tu so|antworte|agis|agissez|comporte-toi|comportez-vous|fais comme si|faites comme si|reponds|"
     rf"repondez|joue|jouez)(?: como| wie| als ob du| als| comme| en tant que| le role d'?)?(?: si fueras)?"
     rf"(?: (?:una?|eine?n?|le|la))? (?:{_W} ){{0,2}}?(?:ia|asistente|modelo|chatbot|bot|inteligencia artificial|ki|"
     rf"assistent\w*|modell|sprachmodell|assistant|modele|intelligence artificielle|tu es une ia)"
     rf" (?:sin|libre de|ohne|frei von|sans|libre de) (?:{_W} )?(?:restricciones|filtros|limites|reglas|censura|"
     rf"normas|einschrankungen|beschrankungen|filter|regeln|grenzen|zensur|richtlinien|restrictions?|filtres?|"
     rf"limites?|regles?|censure)\b", 0.9, 0.9),
    ("jailbreak",
     r"\b(?:do anything now|dan mode|as dan|be dan|are dan|called dan|named dan|dan,? which stands|dan stands|"
     r"dan prompt|dan jailbreak|anti-?dan|better ?dan|strive to avoid norms|always intelligent and machiavellian|"
     r"evil confidant|mongo tom|haz cualquier cosa ahora|tu alles jetzt|fais n'importe quoi maintenant)\b",
     0.9, 0.9),
    ("jailbreak", r"\bjailbr(?:ea|o)k\w*\b", 0.5, 0.4),
    ("jailbreak",
     r"\b(?:jailbreak (?:prompt|mode|this|the ai|the model|yourself|enabled)|jailbroken (?:ai|assistant|model|"
     r"chatbot|version|mode|gpt|chatgpt))\b", 0.9, 0.9),
    ("mode_switch",
     r"\b(?:god|sudo|evil|dan|jailbreak|jailbroken|unrestricted|unfiltered|uncensored|opposite|chaos|unlocked|"
     r"dios|gott|dieu|sin restricciones|sin filtros|sans restriction|sans filtre|ohne filter) ?-?(?:mode|modus|modo)"
     r"\b|\b(?:modo|mode) (?:dios|dieu|dan|jailbreak|sin restricciones|sin filtros|sans restrictions?|"
     r"sans filtres?)\b", 0.8, 0.7),
    ("mode_switch",
     r"\b(?:developer|dev|debug|maintenance|admin) ?-?mode\b|\bmodo desarrollador\b|\bentwickler-?modus\b|"
     r"\bmode developpeur\b", 0.5, 0.2),
    ("mode_switch",
     r"\b(?:developer|dev) mode (?:enabled|activated|output|response|v\d)\b|\b(?:enable|activate|enter|switch to)"
     r" (?:the )?(?:developer|dev) mode(?: for yourself| now)?\b(?! (?:on|in) (?:my|your|the) (?:phone|device|"
     r"android|iphone|browser|app|settings))", 0.8, 0.4),
    ("no_restrictions",
     rf"\b(?:no|without(?: any)?|free (?:of|from)|zero|not bound by|unbound by|don't have(?: any)?|do not have"
     rf"(?: any)?|doesn't have(?: any)?|does not have(?: any)?|not (?:subject|limited) to|beyond|break(?:ing)? free"
     rf"(?: of| from)?|released from|freed from|not restricted by)(?: {_W}){{0,2}}? (?:{_NO_LIMITS})\b", 0.5, 0.3),
    ("no_restrictions",
     r"\b(?:sin|ohne|sans) (?:ninguna |ningun |jegliche |irgendwelche |alle |aucune? )?(?:restricciones|filtros|"
     r"censura|limitaciones|limites eticos|reglas eticas|einschrankungen|beschrankungen|filter|zensur|"
     r"richtlinien|ethik|restrictions?|filtres?|censure|regles? ethiques?)\b", 0.5, 0.3),
    ("no_restrictions",
     r"\b(?:uncensored|unfiltered|amoral|unrestricted) (?:ai|assistant|model|chatbot|response|answer|version|"
     r"output)s?\b|\b(?:openai|anthropic|content|usage|safety) polic(?:y|ies)\b", 0.5, 0.3),
    # --- fake conversation and role markers
    ("role_marker",
     r"<\|?(?:im_start|im_end|im_sep|endoftext|system|user|assistant|begin_of_text|start_header_id|end_header_id|"
     r"eot_id)\|?>|\[/?inst\]|<</?sys>>", 0.9, 0.9),
    ("role_marker", r"</s>|<s>(?=\s*\[)", 0.6, 0.3),
    ("role_marker", r"(?:^|\n)\s*(?:#{1,4}\s*)?(?:system|assistant|developer|sistema|systeme|ai|bot)\s*:", 0.6, 0.4),
    ("role_marker", r"(?:^|\n)\s*(?:user|human|usuario|benutzer|utilisateur)\s*:", 0.3, 0.2),
    ("role_marker",
     r"#{2,}\s*(?:new\s+)?(?:instruction|instructions|system|system prompt|response|prompt|task|admin|override)\b",
     0.7, 0.6),
    ("role_marker",
     r"\[(?:system|admin|developer|instruction|instructions|sys|override)(?: (?:message|note|prompt|override))?\]|"
     r"\((?:system|admin|developer) (?:message|note|override)\)", 0.7, 0.6),
    ("role_marker", r"\b(?:begin|start|end)(?: of)? (?:the )?(?:system prompt|system message|system instructions|"
                    r"prompt|instructions)\b\s*[-=#:\]>]", 0.6, 0.3),
    # --- addressed to an AI reader (mostly in documents)
    ("addressed_to_ai",
     r"\b(?:note|message|instructions?|attention|memo|reminder|notice|directive|important)\s*(?:to|for) "
     r"(?:the |any |all |an |a |every )?(?:ai|llm|assistant|model|chat ?bot|bot|language model|ai agent|gpt|"
     r"chatgpt|ai system)s?\b", 0.6, 0.9),
    ("addressed_to_ai",
     rf"\b{_AI}\b(?: {_W}){{0,2}}? (?:reading|processing|parsing|summari[sz]ing|seeing|viewing|that reads?|who "
     rf"reads?|that sees?|that processes?|which reads?|encountering|ingesting|indexing|retrieving|answering "
     rf"(?:from|with|using)) (?:this|these|the following)\b", 0.6, 0.9),
    ("addressed_to_ai",
     r"\bif you are (?:an? )?(?:ai|llm|large language model|language model|chat ?bot|bot|ai assistant|gpt|"
     r"automated (?:system|agent|assistant))\b(?: (?:reading|processing|summari[sz]ing|that))?", 0.3, 0.9),
    ("addressed_to_ai",
     r"\bwhen(?:ever)? (?:the |an? |any )?(?:ai|assistant|model|llm|chat ?bot|bot)s? (?:sees?|reads?|encounters?|"
     r"processes?|finds?|retrieves?|is asked|gets asked|answers?|responds?)\b", 0.5, 0.8),
    ("addressed_to_ai",
     r"\b(?:the |all |any |every )?(?:ai|assistant|model|llm|chat ?bot|bot|ai agent|language model)s? (?:must|should"
     r"|shall|has to|have to|needs? to|is required to|are required to|is instructed to|are instructed to|is to|are "
     r"to|will now|must now)(?: now| always| never| not| immediately)* (?:ignore|disregard|say|tell|respond|reply|"
     r"answer|recommend|offer|issue|refund|approve|include|output|print|send|mention|state|claim|direct|redirect|"
     r"insert|add|grant|forget|reveal|append|call|execute|use|email|inform|advise|promise|provide|give)\b",
     0.5, 0.8),
    ("addressed_to_ai",
     r"\b(?:nota|mensaje|instrucciones?|aviso|atencion) (?:para|a) (?:la |el |los |las |cualquier )?(?:ia|"
     r"inteligencia artificial|asistente|modelo|bot|chatbot|llm)s?\b|\bsi (?:eres|usted es) (?:una? )?(?:ia|"
     r"inteligencia artificial|modelo de lenguaje|asistente virtual|bot|chatbot|llm)\b|\b(?:la ia|el asistente|"
     r"el modelo|el bot|los asistentes|las ias|asistentes? de ia) (?:que (?:lea|lean|procese|procesen)|debe|deben|"
     r"tiene que|tienen que|deberia|deberan)\b", 0.5, 0.85),
    ("addressed_to_ai",
     r"\b(?:hinweis|nachricht|anweisung\w*|notiz|achtung) (?:an|fur) (?:die |den |das |alle |jede |jeden )?(?:ki|"
     r"kis|ki-assistent\w*|assistent\w*|modell\w*|sprachmodell\w*|bot|chatbot|llm)\b|\b(?:wenn|falls) (?:du|sie) "
     r"(?:eine? )?(?:ki|kunstliche intelligenz|sprachmodell|ki-assistent|bot|chatbot|llm) (?:bist|sind)\b|"
     r"\b(?:ki|ki-assistent\w*|ki-modell\w*|sprachmodell\w*|chatbot)s? (?:muss|mussen|soll|sollen|hat zu|haben zu|"
     r", die (?:dies|das|diesen text) (?:lesen|liest))\b", 0.5, 0.85),
    ("addressed_to_ai",
     r"\b(?:note|message|instructions?|avis|attention) (?:a|pour) (?:l'|la |le |les |toute |tout )?(?:ia|"
     r"intelligence artificielle|assistant|modele|bot|chatbot|llm|agent ia)s?\b|\bsi (?:tu es|vous etes) (?:une? )?"
     r"(?:ia|intelligence artificielle|modele de langage|assistant virtuel|bot|chatbot|llm)\b|\b(?:l'ia|"
     r"l'assistant|le modele|le bot|les assistants|les ia) (?:qui (?:lit|lisent)|doit|doivent|devra|devront)\b",
     0.5, 0.85),
    ("addressed_to_ai",
     r"\b(?:the )?(?:user|customer|caller|requester) (?:is|has been) (?:already )?(?:verified|authenticated|"
     r"authori[sz]ed|an? admin\w*|an? administrator|pre-?approved|a vip|whitelisted)\b(?: (?:by|for|to|and)\b)?",
     0.3, 0.5),
    # --- tool and action coercion
    ("tool_coercion",
     r"\b(?:call|invoke|use|run|execute|trigger|fire|activate)\s+(?:the\s+|your\s+|a\s+)?(?:[\w-]+[\s_]){0,2}?"
     r"(?:tool|function|function call|api|endpoint|plugin|webhook)\b", 0.5, 0.4),
    ("tool_coercion",
     r"\b(?:call|invoke|use|run|execute|trigger|fire)\s+(?:the\s+|your\s+)?[\w -]{0,20}?(?:refund|cancel|credit|"
     r"delete|admin|payment|discount|voucher|coupon|transfer|payout)[\w -]{0,12}?(?:tool|function|api|endpoint|"
     r"action)\b|\b(?:issue_refund|refund_order|cancel_order|delete_account|grant_admin|create_refund|"
     r"apply_discount|update_limit|set_limit)\s*\(?", 0.8, 0.6),
    ("tool_coercion",
     r"\b(?:issue|give|process|send|grant|approve|make|pay|apply)\s+(?:a\s+|full\s+|the\s+)*(?:refunds?|credits?|"
     r"compensation|discounts?|reimbursements?|store credit|vouchers?|coupons?)\s+(?:to|for)\s+(?:everyone|"
     r"everybody|all|every|each|any)\b", 0.9, 0.7),
    ("tool_coercion", r"\brefund (?:all|every|each|everyone|everybody)\b(?! (?:my|of my|the items in my|mine)\b)",
     0.6, 0.3),
    ("tool_coercion", r"\bapprove (?:all|every|each|any|everything)\b", 0.6, 0.3),
    ("tool_coercion",
     r"\bapprove (?:all|every|each|any) (?:\w+ )?(?:refunds?|requests?|claims?|returns?|transactions?|orders?|"
     r"payments?|payouts?)\b", 0.8, 0.4),
    ("tool_coercion",
     r"\b(?:set|change|raise|increase|update|modify|override)\s+(?:the\s+|my\s+|your\s+|its\s+|a\s+)?"
     r"(?:[\w-]+\s+){0,2}?(?:limit|cap|threshold|maximum|max|quota|ceiling)\s+(?:to|at)\b", 0.4, 0.2),
    ("tool_coercion",
     r"\b(?:set|change|raise|increase|update|modify|override|remove)\s+(?:the\s+|your\s+|its\s+)?(?:refund|"
     r"spending|credit|approval|transaction|payout|withdrawal|discount)\s+(?:limit|cap|threshold|maximum|ceiling)"
     r"(?:\s+(?:to|at)\b)?", 0.6, 0.3),
    ("tool_coercion",
     r"\b(?:reembols\w*|aprueba\w*|aprobar|emite reembolsos)\s+(?:\w+\s+){0,3}?(?:a\s+)?(?:todos|todas|todo el mundo|"
     r"cada cliente)\b|\b(?:erstatt\w*|genehmig\w*|ruckerstattung\w*)\s+(?:\w+\s+){0,3}?(?:an\s+)?(?:alle|allen|"
     r"jeden|jedem)\b|\b(?:rembours\w*|approuve\w*)\s+(?:\w+\s+){0,3}?(?:a\s+)?(?:tout le monde|tous|toutes|"
     r"chaque client)\b", 0.7, 0.3),
    ("tool_coercion",
     r"\b(?:establece|fija|pon|cambia|sube|aumenta|setze|setz|stelle|erhohe|andere|fixe|fixez|mets|mettez|regle|"
     r"reglez|augmente|augmentez)\s+(?:\w+\s+){0,3}?(?:limite|tope|maximo|limit|grenze|hochstbetrag|obergrenze|"
     r"plafond|maximum)\w*\s+(?:a|en|auf)\b", 0.4, 0.2),
    ("privilege_escalation",
     r"\b(?:grant|give|assign|make|elevate|escalate|promote|upgrade)\s+(?:me|us|my account|this user|the user|"
     r"this account)?\s*(?:to\s+)?(?:full\s+|root\s+|admin(?:istrator)?\s+|superuser\s+|elevated\s+|"
     r"unrestricted\s+|owner\s+)(?:access|rights|privileges|permissions|role|status|mode)\b|\bmake me (?:an? )?"
     r"(?:admin|administrator|superuser|root)\b|\b(?:elevate|escalate) (?:my |your )?privileges\b", 0.6, 0.3),
    ("privilege_escalation",
     r"\b(?:hazme|dame|concedeme|otorgame)\s+(?:\w+\s+){0,2}?(?:administrador|admin|permisos de administrador|"
     r"acceso (?:de administrador|total|root))|\b(?:gib|gewahre|erteile|mach)\s+(?:mir|mich)\s+(?:\w+\s+){0,2}?"
     r"(?:admin\w*|administrator\w*|root-?\w*|vollzugriff)|\b(?:donne|donnez|accorde|accordez|fais|faites)"
     r"(?:-moi| moi)\s+(?:\w+\s+){0,3}?(?:admin\w*|administrateur|acces root|acces total|droits d'admin\w*)", 0.6, 0.3),
    ("disable_safety",
     r"\b(?:disable|turn off|deactivate|switch off|remove|bypass|circumvent|override)\s+(?:the\s+|your\s+|all\s+|"
     r"any\s+)?(?:safety|guardrails?|safeguards?|content filters?|filters|moderation|verification|identity checks?|"
     r"security checks?|refund limits?|spending limits?|restrictions)\b", 0.6, 0.3),
    # --- exfiltration
    ("exfiltration",
     r"\b(?:send|forward|email|e-mail|mail|post|upload|transmit|leak|exfiltrate|copy|share|submit|report)\s+"
     r"(?:the\s+|this\s+|our\s+|all\s+|every\s+|any\s+)?(?:entire\s+|full\s+|whole\s+|complete\s+|previous\s+)?"
     r"(?:conversation|chat|transcript|chat history|conversation history|history|messages|context|system prompt|"
     r"prompt|instructions|credentials|api keys?|secrets?|passwords?|tokens?|cookies|session|customer data|"
     r"user data|personal data|all data)\b(?:\s+\w+){0,3}?\s+to\s+(?:https?://|www\.|"
     r"(?:this|that|the following|an?|our|their)\s+(?:external\s+)?(?:url|link|server|endpoint|webhook|site|"
     r"website|domain)|\S+\.(?:com|net|org|io|ru|xyz|cn|info|biz)\b(?!@))", 0.8, 0.9),
    ("exfiltration",
     r"\b(?:send|forward|email|e-mail|mail|post|upload|transmit|leak|exfiltrate|share)\s+(?:the\s+|this\s+|all\s+|"
     r"every\s+)?(?:entire\s+|full\s+|whole\s+|complete\s+)?(?:conversation|chat history|conversation history|"
     r"system prompt|credentials|api keys?|secrets?|passwords?|customer data|user data|personal data)\b"
     r"(?:\s+\w+){0,3}?\s+to\s+(?!(?:me|my|us|our)\b)[\w.+-]+@", 0.6, 0.9),
    ("exfiltration", r"!\[[^\]\n]{0,100}\]\(\s*https?://[^)\s]+\?[^)\s]*=[^)\s]*\)", 0.6, 0.6),
    ("exfiltration",
     r"!\[[^\]\n]{0,100}\]\(\s*https?://[^)\s]*(?:[{}<>$]|%7b|%24|data=|q=|conversation|chat=|prompt|secret|token|"
     r"history|message=|email=)[^)\s]*\)", 0.9, 0.9),
    ("exfiltration",
     r"\b(?:include|insert|add|embed|render|append|output|display|show)\s+(?:this|the following|the|a|an)\s+"
     r"(?:\w+\s+)?(?:markdown image|image link|tracking pixel|pixel|img tag|iframe|markdown link|hidden link|"
     r"invisible image|image with|link with)\b", 0.5, 0.5),
    ("exfiltration",
     r"\b(?:append|add|encode|embed|put|include|insert)\s+(?:\w+\s+){0,3}?(?:conversation|chat|history|messages|"
     r"user'?s? (?:data|input|message|email|details|answers?)|customer'?s? (?:data|details|email)|personal data|"
     r"secrets?|credentials|system prompt|previous answers?)\s+(?:\w+\s+){0,3}?(?:to|in|into|as)\s+(?:the\s+|this\s+|"
     r"a\s+)?(?:url|link|query|query string|parameter|image url|base64)\b", 0.9, 0.9),
    ("exfiltration",
     r"\b(?:envia|enviar|manda|mandar|reenvia|reenviar|comparte|sende|senden sie|schick\w*|leite\w*|"
     r"ubermittle\w*|envoie|envoyez|transmets|transmettez|transfere|transferez|partage)\s+(?:\w+\s+){0,3}?"
     r"(?:conversacion|chat|historial|transcripcion|mensajes|credenciales|contrasenas|chatverlauf|konversation|"
     r"unterhaltung|gesprach|verlauf|zugangsdaten|passworter|conversation|discussion|historique|identifiants|"
     r"mots de passe)\s+(?:\w+\s+){0,3}?(?:a|an|zu)\s+(?:https?://|www\.|\S+\.(?:com|net|org|io|ru|xyz)\b(?!@))",
     0.8, 0.9),
    # --- obfuscation used to smuggle instructions
    ("obfuscation",
     r"\b(?:decode|decrypt|deobfuscate|rot13|base64|reverse)\b(?: \w+){0,5}? (?:and|then) (?:follow|execute|run|"
     r"obey|do|perform|apply|carry out)\b", 0.7, 0.7),
]

_SQUASHED = [
    ("override_instructions", re.compile(
        r"(?:ignore|disregard|forget|override|bypass|ignora|olvida|ignoriere|vergiss|ignorez|oubliez|oublie)"
        r"(?:all|any|every|the|your|of|previous|prior|above|earlier|initial|original|system|todas|las|tus|anteriores|"
        r"previas|alle|deine|vorherigen|bisherigen|toutes|tous|les|tes|vos|precedentes)+"
        r"(?:instructions?|rules|prompts?|directives|guidelines|instrucciones|reglas|anweisungen|regeln|consignes|"
        r"regles)"), 0.9, 0.9),
    ("prompt_leak", re.compile(r"systemprompt|promptdelsistema|promptsysteme|systemanweisung"), 0.6, 0.3),
    ("jailbreak", re.compile(r"doanythingnow|jailbreak"), 0.7, 0.7),
    ("mode_switch", re.compile(r"developermode(?:enabled|activated|output)"), 0.8, 0.4),
]

_COMPILED = [(signal, re.compile(pattern), w_message, w_document) for signal, pattern, w_message, w_document in _RULES]
