"""Escalation signals: words in one customer message that must reach a specialist human queue.

Some messages are not the assistant's to handle, whatever the mood of the conversation: requests
to erase personal data, legal or regulator threats and accessibility barriers carry legal duties
and deadlines (REGULATORY), and reports of something broken belong with the people who can fix
it, grouped so that a wave of identical reports opens an incident. As in `app.sentiment`, these
are curated lexicons, not a model: a routing decision must quote the words that caused it.

Precision comes before recall, because every hit moves a real conversation. Decisions:

- "delete my account" is a deletion request (erasing an account erases its data); closing or
  cancelling an account or a subscription is not, nor is deleting a saved card or an address.
- Access requests ("a copy of my data") are not deletion. Naming GDPR/RGPD/DSGVO is a legal
  threat only next to complaint words ("GDPR violation") and never when it backs a deletion
  request; naming a regulator (ICO, CNIL, AEPD, Datenschutzbehörde) always is. A chargeback
  is a payment dispute, not a legal threat.
- A promo, discount or gift code that "doesn't work" is a commercial question, not a technical
  fault, unless the customer quotes an error code.

A technical fault carries a `topic`, the same key whatever the language or wording, so that
"the app keeps crashing" and "l'application plante" count as one problem. Matching runs on a
length-preserving folded copy of the text (lower case, accents stripped), so "eliminación",
"ELIMINACION" and "eliminacion" read the same and each phrase is quoted from the original.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from itertools import chain
from typing import Literal

Kind = Literal["data_deletion", "legal_threat", "accessibility", "technical_fault"]
KINDS: tuple[Kind, ...] = ("data_deletion", "legal_threat", "accessibility", "technical_fault")
REGULATORY: frozenset[str] = frozenset({"data_deletion", "legal_threat", "accessibility"})

# Lexicons hold regex fragments over folded text. A space matches any whitespace, " ?" optional
# whitespace; lookbehinds spell their spaces "\x20" (they need a fixed width).

_FILL_EN = r"(?:(?:please|all|of|everything|permanently|completely|entirely|fully|immediately|now|also|just) ){0,3}"
_FILL_ES = r"(?:(?:por favor|todos|todas|toda|todo|ya|inmediatamente|completamente|definitivamente|tambien) ){0,3}"
_FILL_DE = r"(?:(?:sie|bitte|ich|alle|sofort|umgehend|endlich|auch|vollstandig|komplett|unverzuglich|mir) ){0,3}"
_FILL_FR = r"(?:(?:toutes|tout|s'il vous plait|svp|immediatement|definitivement|completement|bien|aussi) ){0,3}"
_MY_DATA_EN = (r"(?:my|our) (?:personal |customer |user )?"
               r"(?:data(?! plan| usage| allowance| roaming| limit)|information|info)")
_MY_DATA_DE = (r"(?:meine|alle meine) (?:pers(?:o|oe)nlichen |personenbezogenen |gespeicherten )?daten"
               r"|mein(?:en)? (?:kunden|benutzer|nutzer)?konto|mein(?:en)? account")
_MY_DATA_FR = (r"(?:toutes )?mes (?:donnees|informations)(?: personnelles)?"
               r"(?! bancaires| de (?:paiement|carte|livraison|facturation|connexion))|mon compte")

_DATA_DELETION = (
    # en
    rf"(?<!did\x20you\x20)(?:delete|erase|wipe|purge|destroy|remove) {_FILL_EN}(?:{_MY_DATA_EN}|my personal details"
    r"|everything you (?:have|hold|keep|store) (?:on|about) (?:me|us))",
    rf"(?<!did\x20you\x20)(?:delete|erase|wipe|purge|close and delete) {_FILL_EN}(?:my|our) (?:entire |whole )?account"
    r"(?! number| details| settings| name)",
    r"(?:want|like|need|request|have|get) my (?:personal )?(?:data|account|information)"
    r"(?: and (?:all )?(?:my )?(?:personal )?(?:data|information))? (?:to be )?(?:permanently |completely )?"
    r"(?:deleted|erased|removed|wiped|purged)",
    r"(?:data|account|personal data) (?:deletion|erasure)", r"erasure request", r"article 17",
    r"(?:deletion|erasure) of (?:all )?(?:my |our )?(?:personal )?(?:data|information|account)",
    r"right to (?:be forgotten|erasure)",
    # es
    rf"(?:borr(?:ar|en|ad|a|e|eis)|elimin(?:ar|en|ad|a|e|eis)|suprim(?:ir|an|id|a|e)) {_FILL_ES}"
    r"(?:(?:mis|nuestros) datos(?: personales)?(?! de (?:pago|tarjeta|envio|facturacion|contacto|acceso))"
    r"|mi cuenta|(?:toda )?mi informacion(?: personal)?)",
    r"(?:eliminacion|supresion|borrado) (?:definitiv[oa] |complet[oa] |total )?de (?:todos )?"
    r"(?:mis datos(?: personales)?|(?:los |sus )?datos personales|mi cuenta|la cuenta)",
    r"(?:mis datos|mi cuenta)(?: personales)? (?:sean|sea|queden?) (?:borrad|eliminad|suprimid)\w*",
    r"derecho (?:al|de) (?:olvido|supresion|borrado)",
    # de
    rf"l(?:o|oe)sch(?:en|e|t) {_FILL_DE}(?:{_MY_DATA_DE})",
    rf"(?:{_MY_DATA_DE}) (?:\w+ ){{0,3}}(?:zu )?l(?:o|oe)sch(?:en|t)",
    r"l(?:o|oe)schung (?:aller |s(?:a|ae)mtlicher )?(?:meiner|meines) (?:\w+ )?(?:daten|kontos|kundenkontos|accounts)",
    r"(?:daten|konto|kundenkonto|account)l(?:o|oe)schung", r"recht auf (?:vergessen(?:werden)?|l(?:o|oe)schung)",
    # fr
    rf"(?:supprim|effac)(?:er|ez|e|ent) {_FILL_FR}(?:{_MY_DATA_FR})",
    r"(?:suppression|effacement) (?:definitive? |complete? |totale? )?(?:de|des) (?:toutes )?"
    r"(?:mes donnees|mes informations personnelles|mon compte|donnees personnelles)",
    r"droit (?:a l'|d')(?:oubli|effacement)",
)

_REGULATORS = (
    r"cnil", r"aepd", r"(?:the|to|with) ico", r"information commissioner\w*",
    r"data protection (?:authority|commissioner|regulator|board)", r"datenschutzbeh(?:o|oe)rde\w*",
    r"datenschutzaufsicht\w*", r"landesdatenschutz\w*", r"agencia (?:espanola )?de proteccion de datos",
    r"autorite de protection des donnees",
)
_LEGAL_THREAT = (
    *_REGULATORS,
    # en
    r"(?<!\bi'm\x20a\x20)(?<!\bam\x20a\x20)(?<!\bas\x20a\x20)lawyers?", r"(?<!power\x20of\x20)attorneys?",
    r"solicitors?", r"lawsuits?", r"class action", r"suing",
    r"legal (?:action|proceedings|steps|advice)", r"(?:going to|want to|have to|will|gonna|i'll|we'll|shall) sue",
    r"sue (?:you|u|your|the company|this company|them)", r"small claims",
    r"(?:take|taking|took|see|seeing) (?:you|u|this|them|it|your company)(?: guys)? (?:to|in) court",
    r"(?:go|going|went) to court", r"trading standards", r"ombudsman", r"better business bureau",
    r"consumer protection (?:agency|authority|office|bureau|body)",
    r"(?:report|reporting|complain\w*)(?: \w+){0,3} (?:to|with) (?:the )?(?:consumer protection|regulator|ftc|fcc"
    r"|ofcom|ofgem|fca|cma)",
    # es
    r"abogad[oa]s?", r"demandar\w*", r"demandare\w*", r"(?:os|les|te|lo|la) (?:voy a )?demand(?:o|are|aremos)",
    r"(?:interponer|poner|presentar|pondre|presentare|interpondre)\w* (?:una )?(?:demanda|denuncia)",
    r"una demanda (?:contra|judicial)", r"demanda judicial", r"denunciare\w*",
    r"denunciar\w*(?! (?:un|una|el|la|este|esta) (?:correo|mensaje|sms|e-?mail|llamada|anuncio|perfil|fraude|estafa"
    r"|phishing))",
    r"(?:os|les|te|lo|la) (?:voy a )?denunci\w*", r"denuncia (?:ante|en|contra)", r"tribunal(?:es)?", r"juzgados?",
    r"acciones? legal(?:es)?", r"medidas legales", r"via judicial", r"acciones? judicial(?:es)?", r"ocu", r"facua",
    r"omic", r"hoja de reclamaciones", r"(?:oficina|organismo|departamento) de consumo",
    r"(?:a|ante|en) consumo(?! de)",
    # de
    r"\w*anw(?:a|ae)lt\w*", r"verklag\w*", r"klage",
    r"(?:vor|zum|ans|vors) (?:das |dem )?gericht", r"gerichtlich\w*", r"gerichtsverfahren", r"amtsgericht",
    r"(?:rechtliche|juristische)\w* schritte", r"rechtsweg", r"verbraucherzentrale\w*", r"verbraucherschutz\w*",
    r"schlichtungsstelle", r"bundesnetzagentur",
    # fr
    r"(?:mon|notre|mes|nos|son|leur) avocat(?:e|s|es)?",
    r"(?:contact|consult|prend|pris|appel|mandat|engag|voir|vu)\w* (?:un|une|mon|notre) avocat(?:e)?",
    r"poursui\w* en justice", r"poursuites(?: judiciaires)?", r"en justice", r"(?:porter|deposer) plainte",
    r"plainte (?:contre|aupres)", r"tribunaux", r"huissier\w*", r"ufc", r"que choisir", r"dgccrf", r"signalconso",
    r"mediateur\w*", r"association de consommateurs",
)
# A data-protection law named next to complaint words, within one sentence and a few words.
_PRIVACY_LAW = (r"(?:gdpr|rgpd|dsgvo|lopd|lopdgdd|data protection|proteccion de datos|datenschutz"
                r"|protection des donnees)")
_COMPLAINT = (r"(?:violat\w*|breach\w*|infring\w*|illegal\w*|unlawful\w*|report\w*|complain\w*|incumpl\w*|infraccion\w*"
              r"|ilegal\w*|vulner\w*|denunci\w*|reclamacion\w*|verst(?:o|oe)(?:ss|ß)\w*|verletz\w*|rechtswidrig\w*"
              r"|beschwer\w*|melden|infraction\w*|viol\w*|signaler|plainte)")
_NEAR = r"(?:[^\w.!?;\n]+\w+){0,5}?[^\w.!?;\n]+"

_ACCESSIBILITY = (
    # en
    r"screen ?readers?", r"accessibility", r"a11y", r"wcag", r"americans with disabilities",
    r"ada (?:complian\w*|requirements?|standards?|guidelines)",
    r"(?:not|isn't|isnt|aren't|not very|not fully) accessible(?! (?:right now|at the moment|currently|today|anymore"
    r"|since|from|via|through|on|in|at))",
    r"wheelchairs?(?:-| )?(?:users?|accessible|access)?", r"(?:legally|partially|totally|completely) blind",
    r"colou?r ?blind\w*", r"(?:i am|i'm|im|is|are|being|was|born) blind(?! test\w*| spot)", r"deafblind",
    r"blind (?:users?|customers?|people|persons?|visitors?|and (?:use|rely|need|can't|cannot))",
    r"visually impaired", r"vision impair\w*", r"low vision", r"partially sighted", r"deaf(?:ness)?(?! ears?)",
    r"hard of hearing", r"hearing (?:impair\w*|loss|aids?)", r"sign language", r"asl", r"bsl",
    r"(?:no|missing|without|lack of|there are no) (?:closed )?(?:captions?|captioning|subtitles)",
    r"(?:captions?|subtitles) (?:are |is )?(?:missing|not available|unavailable)", r"closed caption\w*",
    r"keyboard(?:-| )only", r"keyboard navigation", r"navigat\w* (?:\w+ ){0,2}(?:with|by|using) (?:the |a |my )?"
    r"keyboard", r"without (?:a )?mouse", r"dyslexi\w*", r"disabilit(?:y|ies)",
    r"(?:physical|visual|hearing|cognitive|motor) impairments?", r"talkback", r"nvda",
    # es
    r"lector(?:es)? de pantalla", r"accesibilidad", r"accesibles? para (?:personas|ciegos|sordos|invidentes"
    r"|discapacitados|usuarios con)",
    r"(?:soy|es|son|somos|estoy|personas?|usuari[oa]s?|clientes?|totalmente|parcialmente|casi|legalmente) "
    r"(?:ciegas?|ciegos?|sord[oa]s?|invidentes?)", r"invidentes?", r"discapacidad\w*", r"discapacitad[oa]s?",
    r"baja vision", r"sordera", r"sordomud\w*", r"silla de ruedas", r"dislexi\w*",
    r"(?:sin|faltan|no hay|no tiene|no tienen) subtitulos", r"lengua de signos",
    r"navegar (?:solo )?con (?:el )?teclado",
    # de
    r"screen-?reader\w*", r"bildschirmleser\w*", r"barrierefrei\w*", r"barrierearm\w*",
    r"(?:bin|ist|sind) (?:fast |komplett |vollig |seit \w+ )?(?:blind|taub)",
    r"blinde\w* (?:nutzer|menschen|kunden|personen?|user|benutzer)\w*", r"erblindet", r"sehbehindert\w*",
    r"sehschwach\w*", r"geh(?:o|oe)rlos\w*", r"schwerh(?:o|oe)rig\w*", r"rollstuhl\w*", r"legasthen\w*",
    r"(?:keine|fehlende\w*|ohne) untertitel", r"untertitel fehlen", r"behinderung\w*", r"schwerbehindert\w*",
    r"behindert(?:e|en|er) (?:menschen|nutzer|kunden|personen)", r"geb(?:a|ae)rdensprache", r"tastaturbedienung",
    r"nur (?:mit (?:der )?)?tastatur",
    # fr
    r"lecteurs? d'ecran", r"accessibilite", r"accessibles? aux (?:personnes|aveugles|malvoyants|sourds|handicapes)",
    r"(?<!a\x20l')aveugles?", r"(?:mal|non)(?:-| )?voyant\w*", r"malentendant\w*", r"fauteuil roulant",
    r"(?:suis|est|sont|es|etre|personnes?|utilisat\w*|client(?:e|s|es)?|enfants?|les|des|aux) sourd(?:e|s|es)?"
    r"(?! oreille)", r"sourds?-muets?", r"en situation de handicap", r"handicap(?:e|ee|es|ees)",
    r"handicap (?:visuel|auditif|moteur)", r"personnes? handicap\w*",
    r"(?:pas de|aucun|sans|manque de|absence de) sous-?titres?", r"langue des signes", r"navigation au clavier",
    r"(?:uniquement|seulement) au clavier",
)

_TECHNICAL_FAULT = (
    # en
    r"crash(?:es|ed|ing)", r"keeps? (?:crashing|freezing|disconnecting|dropping|restarting|rebooting|buffering"
    r"|logging me out|signing me out|timing out)",
    r"(?:freez(?:es|ing)|froze) up", r"(?:app|screen|it|phone|device|game|system|computer|laptop|tv|page) "
    r"(?:keeps |always )?(?:freezes|froze)",
    r"(?<!\bi\x20)(?<!\bwe\x20)(?<!that\x20)(?<!this\x20)(?:(?:does|did|wo) ?n'?t|does not|did not|will not) work\w*",
    r"(?:that|this) (?:(?:does|wo) ?n'?t|does not|will not) work\w*(?! for (?:me|us))",
    r"(?:is|are|was|were) ?n'?t working", r"(?<!\bi'm\x20)(?<!\bim\x20)(?<!\bam\x20)(?<!we're\x20)(?<!\bwe\x20are\x20)"
    r"(?<!you're\x20)(?<!\byou\x20are\x20)not working", r"no longer works", r"(?:stopped|stops) working",
    r"(?:(?:wo|does) ?n'?t|will not|does not|fail(?:s|ed)? to) (?:load|launch|boot|connect|sync|turn on|power on"
    r"|charge|respond|start up|open|start|install)",
    r"(?:ca ?n'?t|cannot|can not|unable to) (?:load|launch|connect(?! with)|sync|log ?in|sign ?in|log on|sign on"
    r"|access my account|get into my account|turn (?:it )?on)", r"not loading",
    r"(?:blank|white|black|blue) screen", r"(?:screen|page) (?:is |stays |goes )?blank",
    r"error messages?", r"error codes?", r"(?:gives?|giving|gave|shows?|showing|throws?|throwing|threw|displays?"
    r"|returns?|gets?|getting|got|keep getting) (?:me )?(?:an |the |this |that |a )?error"
    r"(?! (?:in|on|with) (?:my|the|your|this) (?:order|invoice|bill|delivery|receipt|refund|statement))",
    r"(?<!bed\x20)bug(?:s|gy|ue|uee|uent|ge|gent)?", r"beug\w*", r"glitch\w*",
    r"technical (?:issue|problem|error|fault|glitch|difficult)\w*",
    r"(?:link|page|site|website|app|feature|button|checkout|form|search|login) (?:is |seems |looks )?broken",
    r"broken (?:link|page|button|feature)", r"times out", r"timing out", r"timed out", r"outage",
    r"(?:site|website|server|service|app|system|page|portal) (?:is |seems |appears )?(?:down|offline)(?! to )",
    r"crashe(?:nt)?", r"crashea\w*", r"crasht", r"gecrasht",
    # es
    r"no (?:me |nos |le |les )?funciona\w*", r"(?:ha |han )?dejado de funcionar", r"dej[oa]n? de funcionar",
    r"sigue sin funcionar", r"se (?:me |nos )?(?:cuelga\w*|colgo|bloquea\w*|congela\w*)", r"se queda colgad[ao]",
    r"se (?:me |nos )?(?:cierra|reinicia) sol[ao]", r"(?:me |nos )?(?:da|dan|dio|sale|salen|salio|aparece|aparecen"
    r"|salta|tira) (?:un |el |este )?(?:mensaje de )?error", r"mensajes? de error", r"codigos? de error",
    r"no (?:me )?carga(?:n)?", r"no (?:se |me )abre\w*", r"no (?:se )?(?:conecta|sincroniza|enciende|inicia|arranca)n?",
    r"no (?:puedo|consigo|logro) (?:iniciar sesion|entrar|acceder|conectar\w*|loguear\w*|ingresar)",
    r"no me deja (?:entrar|iniciar sesion|acceder|pagar|conectar\w*)", r"pantalla (?:en blanco|negra|blanca|azul)",
    r"(?:esta|estan) caid[ao]s?", r"(?:fallo|error|problema|falla) tecnic[oa]", r"se (?:me )?desconecta\w*",
    # de
    r"funktionier\w* (?:\w+ ){0,3}nicht(?! nur)", r"st(?:u|ue)rz\w* (?:\w+ ){0,3}ab", r"abgest(?:u|ue)rzt",
    r"absturz\w*", r"fehlermeldung\w*", r"fehlercode\w*", r"zeigt (?:\w+ ){0,3}fehler\w*",
    r"(?:bekomme|kriege|erhalte|kommt) (?:\w+ ){0,3}fehler(?:meldung)?\w*", r"l(?:a|ae)d(?:t|en) (?:\w+ ){0,2}nicht",
    r"kann mich nicht (?:\w+ ){0,2}(?:anmelden|einloggen)", r"(?:anmeldung|login) (?:\w+ ){0,2}(?:fehlgeschlagen"
    r"|nicht moglich)", r"h(?:a|ae)ngt sich (?:\w+ )?auf", r"friert (?:\w+ ){0,2}ein", r"verbindet sich nicht",
    r"verbindung (?:\w+ ){0,2}(?:bricht|abgebrochen|getrennt)\w*", r"(?:wei(?:ss|ß)|schwarz|leer)e[nr]? bildschirm",
    r"synchronisiert (?:\w+ ){0,2}nicht", r"startet (?:\w+ ){0,2}nicht", r"(?:geht|springt) nicht (?:mehr )?an",
    r"verbuggt", r"technische\w* (?:problem|fehler|st(?:o|oe)rung)\w*", r"(?:netz|server|system)st(?:o|oe)rung",
    # fr
    r"(?:ne (?:\w+ )?|ca |ca ne |ce )(?:marche|marchent|fonctionne|fonctionnent) (?:\w+ )?(?:pas|plus)"
    r"(?! pour (?:moi|nous))",
    r"(?<!une\x20)(?<!la\x20)(?<!les\x20)(?<!des\x20)(?<!ma\x20)(?<!mes\x20)(?<!ta\x20)(?<!sa\x20)(?<!ses\x20)"
    r"(?<!cette\x20)(?<!votre\x20)(?<!notre\x20)(?<!de\x20)plant(?:e|ent|ee|age)(?! verte| grasse| d'interieur)",
    r"messages? d'erreur", r"codes? d'erreur",
    r"(?:affiche|affichent|indique|renvoie|obtiens|recois|me met|me donne) (?:\w+ )?(?:un |une |le |l')?"
    r"(?:message d')?erreur",
    r"ne (?:se )?charge\w* (?:\w+ )?pas", r"ne s'ouvre\w* (?:\w+ )?pas", r"ne (?:se )?lance\w* (?:\w+ )?pas",
    r"ne (?:s'allume|demarre|se synchronise|se connecte)\w* (?:\w+ )?pas",
    r"impossible (?:de |d')(?:me connecter|se connecter|m'identifier|acceder a mon compte|ouvrir l'app\w*|charger"
    r"|lancer l'app\w*|synchroniser)",
    r"je n'arrive (?:pas|plus) a (?:me (?:re)?connecter|m'identifier|acceder a mon compte|ouvrir l'app\w*)",
    r"ecran (?:blanc|noir|bleu|fige)", r"se deconnecte\w*", r"se fige\w*", r"est fige\w*", r"en panne",
    r"(?:probleme|souci|erreur) technique", r"hors service",
)
# A sentence about a promo, discount or gift code is a commercial question, not a fault; a date
# that "doesn't work for me" is scheduling.
_NOT_A_FAULT = (
    r"(?:discount|promo|promotional|coupon|voucher|referral|gift) ?codes?", r"coupons?", r"vouchers?",
    r"gift ?cards?", r"promo", r"codigos? (?:de )?(?:descuento|promocional|promo|regalo)", r"cupon\w*",
    r"tarjeta regalo", r"vales? (?:de )?descuento", r"gutschein\w*", r"rabatt\w*", r"aktionscode\w*", r"codes? promo",
    r"codes? (?:de )?(?:reduction|remise|parrainage)", r"bons? (?:de reduction|d'achat)", r"(?:carte|cheque) cadeau",
    r"(?:date|time|day|slot|appointment|option|offer|solution|proposal)s? (?:(?:does|wo) ?n'?t|does not|will not) work",
)
# An error code: any code after "error code"/"Fehlercode"/"código de error"/"code d'erreur"; after a
# bare "error"/"Fehler"/"erreur" only one with a letter and a digit or 3+ digits ("error 2 times" is
# not a code); and anywhere a hex code ("0x80070005").
_CODE = r"[a-z]{0,5}[-_]?\d+(?:[-_.]\d+)*"
_ERROR_CODE = re.compile(
    r"(?<!\w)(?:error\s*-?\s*(?:code|number)|fehler\s*-?\s*(?:code|nummer)|codigo\s+de\s+error"
    rf"|code\s+d'erreur)(?:\s*(?:no|nr|n°|#))?[\s:#=-]*(?P<named>0x[0-9a-f]{{2,}}|{_CODE})(?![\w-])"
    r"|(?<!\w)(?:error|errores|err|fehler|erreur)[\s:#=-]*(?P<code>0x[0-9a-f]{2,}|[a-z]{1,5}[-_]?\d+(?:[-_.]\d+)*"
    r"|\d{3,6})(?![\w-])"
    r"|(?<![\w-])(?:(?:code|codigo)[\s:#]*)?(?P<hex>0x[0-9a-f]{4,})(?![\w-])")

# What is broken. The first topic (in this order) named in the sentence that reports the fault wins,
# else the first named anywhere in the message, else "general": "the app crashes when I pay" is a
# payment problem, "can't log in to the app" a login one, "impossible de me connecter au wifi" a
# connection one. An explicit error code beats all of them: "error:<CODE>", upper case, no - or _.
_TOPICS: dict[str, tuple[str, ...]] = {
    "connection": (r"wi-?fi", r"wlan", r"bluetooth", r"internet", r"network", r"connection", r"connectivity",
                   r"offline", r"(?:dis|re)?connect(?:s|ed|ing)?(?! to (?:my|your|the) account)", r"disconnect\w*",
                   r"conexion(?:es)?", r"(?:des)?conect\w*(?! a (?:mi|la|su) cuenta)", r"verbind\w*", r"getrennt",
                   r"netzwerk", r"reseau", r"se connecte(?:nt)?", r"deconnect\w*"),
    "login": (r"log ?(?:in|on|into)", r"log(?:in|on)s?", r"logg(?:ed|ing) (?:me )?(?:in|on|out)", r"logs? me out",
              r"log ?out",
              r"sign(?:ed|ing)? ?(?:in|on)", r"password", r"passcode", r"2fa", r"two-factor", r"verification code",
              r"(?:access|into|in to) my account", r"iniciar sesion", r"inicio de sesion", r"contrasena", r"loguea\w*",
              r"(?:acceder|entrar|conectar\w*) (?:a|en) (?:mi |la )?cuenta", r"anmeld\w*", r"angemeldet",
              r"einlogg\w*", r"eingeloggt", r"passwort", r"kennwort", r"me (?:re)?connecter", r"se connecter",
              r"m'identifier", r"identifiant\w*", r"mot de passe", r"acceder a mon compte"),
    "payment": (r"pay", r"paying", r"payments?", r"checkout", r"check out", r"credit card", r"debit card",
                r"card payment", r"paypal", r"pagos?", r"pagar", r"tarjeta", r"zahlung\w*", r"bezahl\w*", r"kasse",
                r"kreditkarte", r"paiements?", r"payer", r"carte bancaire", r"carte de credit"),
    "email": (r"e-?mails?", r"mails?", r"inbox", r"mailbox", r"correos?(?: electronicos?)?", r"postfach",
              r"courriels?"),
    "sync": (r"sync\w*", r"synchroni\w*", r"sincroniz\w*", r"abgleich\w*"),
    "app": (r"apps?", r"applications?", r"aplicacion(?:es)?", r"applikation", r"appli", r"software", r"programa",
            r"programm", r"logiciel"),
    "website": (r"web ?sites?", r"web ?pages?", r"pages?", r"sites?", r"web", r"portal", r"portail", r"pagina",
                r"sitio", r"webseite", r"homepage", r"seite"),
    "device": (r"devices?", r"router", r"printer", r"charger", r"phone", r"tablet", r"dispositivo", r"aparato",
               r"movil", r"telefono", r"cargador", r"ger(?:a|ae)t", r"handy", r"drucker", r"ladeger(?:a|ae)t",
               r"appareil", r"telephone", r"chargeur", r"imprimante", r"tablette"),
}
TOPICS: tuple[str, ...] = (*_TOPICS, "general")  # plus "error:<CODE>"

_APOSTROPHES = frozenset("\u2019\u2018\u02bc\u00b4`")
_SENTENCE_END = re.compile(r"[.!?;]+(?=\s|$)|\n")
_CODE_SEPARATORS = re.compile(r"[-_]")


def _words(*fragments: str) -> re.Pattern[str]:
    """One pattern matching any of `fragments` as whole words, across any run of whitespace."""
    body = "|".join(f.replace(" ?", r"\s*").replace(" ", r"\s+") for f in fragments)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)")


_PATTERNS: dict[str, re.Pattern[str]] = {
    "data_deletion": _words(*_DATA_DELETION), "legal_threat": _words(*_LEGAL_THREAT),
    "accessibility": _words(*_ACCESSIBILITY), "technical_fault": _words(*_TECHNICAL_FAULT),
}
_PRIVACY_COMPLAINT = re.compile(
    rf"(?<!\w)(?:{_PRIVACY_LAW}{_NEAR}{_COMPLAINT}|{_COMPLAINT}{_NEAR}{_PRIVACY_LAW}"
    r"|datenschutzverst(?:o|oe)(?:ss|ß)\w*)(?!\w)")
_PROMO = _words(*_NOT_A_FAULT)
_TOPIC_PATTERNS = {topic: _words(*fragments) for topic, fragments in _TOPICS.items()}


@dataclass(frozen=True)
class Signal:
    kind: Kind
    phrase: str  # the matched words as the customer wrote them
    topic: str | None = None  # technical_fault only: what is broken, one of TOPICS or "error:<CODE>"

    def as_trace(self) -> dict[str, object]:
        return {"kind": self.kind, "phrase": self.phrase, "topic": self.topic}


def detect(text: str) -> list[Signal]:
    """All signals in the message, at most one per kind, in the order data_deletion, legal_threat,
    accessibility, technical_fault."""
    folded = _fold(text)
    found: list[Signal] = []
    deletion = _PATTERNS["data_deletion"].search(folded)
    if deletion:
        found.append(Signal("data_deletion", text[deletion.start():deletion.end()]))
    legal = _PATTERNS["legal_threat"].search(folded)
    if legal is None and deletion is None:  # "delete my data under GDPR" is a request, not a threat
        legal = _PRIVACY_COMPLAINT.search(folded)
    if legal:
        found.append(Signal("legal_threat", text[legal.start():legal.end()]))
    access = _PATTERNS["accessibility"].search(folded)
    if access:
        found.append(Signal("accessibility", text[access.start():access.end()]))
    fault = _technical_fault(text, folded)
    if fault:
        found.append(fault)
    return found


def _fold(text: str) -> str:
    """Lower case, accents stripped, apostrophes straightened, same length as `text` so spans map back."""
    out = []
    for ch in text:
        if ch in _APOSTROPHES:
            out.append("'")
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)).lower()
        out.append(base if len(base) == 1 else ch.lower() if len(ch.lower()) == 1 else ch)
    return "".join(out)


def _technical_fault(text: str, folded: str) -> Signal | None:
    code = _ERROR_CODE.search(folded)
    candidates = chain(_PATTERNS["technical_fault"].finditer(folded), _ERROR_CODE.finditer(folded))
    for match in sorted(candidates, key=lambda m: m.start()):
        start, end = _sentence(folded, match.start())
        sentence = folded[start:end]
        if _PROMO.search(sentence) and not _ERROR_CODE.search(sentence):
            continue  # "my discount code doesn't work"
        if code:
            topic = "error:" + _CODE_SEPARATORS.sub("", code[code.lastgroup or 0].upper())
        else:
            topic = _first_topic(sentence) or _first_topic(folded) or "general"
        return Signal("technical_fault", text[match.start():match.end()], topic)
    return None


def _sentence(folded: str, pos: int) -> tuple[int, int]:
    start = 0
    for end in _SENTENCE_END.finditer(folded):
        if end.end() > pos:
            return start, end.end()
        start = end.end()
    return start, len(folded)


def _first_topic(folded: str) -> str | None:
    return next((topic for topic, pattern in _TOPIC_PATTERNS.items() if pattern.search(folded)), None)
