"""What personal data looks like: the patterns, word lists and checksums behind `guardrails.pii`.

Kept apart from the finders so the tables (street types, phone words, country lengths...) can
grow per language without burying the logic that decides what counts. Every numeric pattern
refuses to start or end inside a longer token, so an id such as "BW-10234" is not read as a number.
"""

from __future__ import annotations

import re

# --- email -------------------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.+%-])[\w.+%-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-]|\.[\w-])")


# Role addresses name a function, not a person: "support@company.example" stays readable, so a
# help-center passage can still tell the customer where to write.
_ROLE_MAILBOX = re.compile(
    r"(?:support|help|helpdesk|service|customerservice|customer-service|care|info|information|contact|hello|sales|"
    r"billing|invoices?|accounts|accounting|orders|returns|shipping|privacy|dpo|gdpr|legal|security|abuse|"
    r"postmaster|webmaster|hostmaster|no-?reply|do-?not-?reply|noreply|notifications?|press|media|marketing|"
    r"careers|jobs|feedback|team|office|admin|soporte|ayuda|atencion|kundenservice|kontakt|datenschutz|"
    r"rechnung|bestellung|service-client|serviceclient|facturation|commandes)@", re.I)


# --- payment cards -----------------------------------------------------------------------

_CARD = re.compile(
    r"(?<![\w+.,/-])(?:"
    r"[2-6]\d{12,18}|(?:1800|2131)\d{11}"  # 2131 and 1800: 15-digit JCB
    r"|[2-6]\d{3}(?P<a>[ -])\d{4}(?P=a)\d{4}(?P=a)\d{1,4}(?:(?P=a)\d{3})?"
    r"|3\d{3}(?P<b>[ -])\d{6}(?P=b)\d{4,5}"  # American Express 4-6-5, Diners 4-6-4
    r")(?![\w-]|[.,/]\d)")
_NOT_A_CARD_BEFORE = re.compile(
    r"(?:tracking|track|seguimiento|sendungs\w*|paket\w*|suivi|colis|awb|waybill)\W+(?:\w+\W+){0,3}$", re.I)


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


# --- IBAN --------------------------------------------------------------------------------

IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
    "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25,
    "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18,
    "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33,
    "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}
_IBAN = re.compile(r"(?<![\w-])([A-Za-z]{2})(\d{2})((?:[ -]?[A-Za-z0-9]){10,31})")


def iban_valid(compact: str) -> bool:
    compact = compact.upper()
    if IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact.isalnum():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1


# --- national ids ------------------------------------------------------------------------

_SSN = re.compile(r"(?<![\w/.-])(?!000|666|9)\d{3}(?P<s>[- ])(?!00)\d{2}(?P=s)(?!0000)\d{4}(?![\w-]|[.,/]\d)")
_SSN_BARE = re.compile(r"(?<![\w/.-])(?!000|666|9)\d{3}(?!00)\d{2}(?!0000)\d{4}(?![\w-]|[.,/]\d)")
_SSN_WORDS = re.compile(r"(?:\bssn|social\s+security(?:\s+(?:number|no\.?|#))?|\bss#)\W{0,5}(?:\w+\W+){0,3}$", re.I)
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_DNI = re.compile(r"(?<![\w-])(\d{8})[ -]?([A-Za-z])(?![\w-])")
_NIE = re.compile(r"(?<![\w-])([XYZxyz])[ -]?(\d{7})[ -]?([A-Za-z])(?![\w-])")
_NIR = re.compile(
    r"(?<![\w/.-])([12378])[ .]?(\d{2})[ .]?(0[1-9]|1[0-2]|[2-9]\d)[ .]?(\d{2}|2[ABab])[ .]?(\d{3})[ .]?(\d{3})"
    r"[ .]?(\d{2})(?![\w-]|[.,/]\d)")
_NINO = re.compile(
    r"(?<![\w-])(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![\w-])")
_STEUER_ID = re.compile(r"(?<![\w+/.-])[1-9]\d(?:(?P<s> ?)\d{3}(?P=s)\d{3}(?P=s)\d{3})(?![\w-]|[.,/]\d)")


def dni_valid(number: str, letter: str) -> bool:
    return _DNI_LETTERS[int(number) % 23] == letter.upper()


def nir_valid(groups: tuple[str, ...]) -> bool:
    body = "".join(groups[:6]).upper().replace("2A", "19").replace("2B", "18")
    return 97 - int(body) % 97 == int(groups[6])


def steuer_id_valid(digits: str) -> bool:
    if len(digits) != 11 or digits[0] == "0":
        return False
    counts = sorted((digits[:10].count(d) for d in set(digits[:10])), reverse=True)
    if counts[0] not in (2, 3) or (len(counts) > 1 and counts[1] != 1):
        return False
    product = 10
    for ch in digits[:10]:
        total = (int(ch) + product) % 10 or 10
        product = total * 2 % 11
    return (11 - product) % 10 == int(digits[10])


# --- phones ------------------------------------------------------------------------------

_PHONE = re.compile(
    r"(?<![\w+/.-])(?<!\d[:,])"
    r"(?:\+\s?|\(\+?)?\d{1,15}\)?(?:(?:[ .\-/]|[ .\-]{2}|(?<=\))|\s?\(\d{1,5}\)\s?)\(?\d{1,10}\)?){0,7}"
    r"(?:\s*(?:x|ext\.?|extension|ext#|#)\s*\d{1,5})?"
    r"(?!\w|-\d|[.,/:]\d)")
_EXTENSION = re.compile(r"\s*(?:x|ext\.?|extension|ext#|#)\s*\d{1,5}$", re.I)
_PHONE_WORD = (
    r"(?:\b(?:phone|tel|tel[eé]phone|telephone|mobile|mob|cell|cellphone|call|ring|text|sms|whats\s?app|fax|desk|"
    r"landline|hotline|reach\s+me|contact\s+number|tel[eé]fono|m[oó]vil|celular|llam\w*|whatsapp|telefon\w*|"
    r"handy|mobil\w*|festnetz|rufnummer|anruf\w*|ruf|portable|appel\w*|joindre|num[eé]ro\s+de\s+t[eé]l\w*|"
    r"my\s+number|mi\s+n[uú]mero|meine\s+nummer|mon\s+num[eé]ro)\b|\btel\.|"
    r"\b(?:office|home|work|business|direct)\s*(?:phone|number|line)?\s*:)")
# a phone word up to four words before the number ("call me tomorrow on ...")
_PHONE_WORDS = re.compile(rf"{_PHONE_WORD}[^\w]{{0,6}}(?:[\w'’]+[^\w\n]{{1,3}}){{0,4}}$", re.I)
# right before it ("Phone: ...", "call me at ...", "mi móvil es ..."): any grouping of 7-15 digits
_PHONE_LABEL = re.compile(
    rf"{_PHONE_WORD}[^\w]{{0,6}}(?:(?:me|at|on|is|number|no|es|al|en|ist|unter|lautet|au|est|de)[^\w]{{1,3}}){{0,3}}$",
    re.I)
_DATE_INSIDE = re.compile(r"(?<!\d)(?:\d{1,2}([./-])\d{1,2}\1(?:19|20)\d\d|(?:19|20)\d\d([./-])\d{1,2}\2\d{1,2})(?!\d)")
_MONEY_AROUND = re.compile(r"[€$£¥]\s?$|^\s?(?:[€$£¥%]|(?:eur|usd|gbp|chf|kwh|kg|km|mb|gb)\b)", re.I)


# --- street addresses --------------------------------------------------------------------

_UP = "A-ZÀ-ÖØ-ÞĀĂĄĆČĎĐĘĚĞŁŃŇŐŒŘŚŞŠŢŤŮŰŸŹŻŽ"
_LOW = "a-zß-öø-ÿāăąćčďđęěğłńňőœřśşšţťůűźżž"
_CAP = rf"[{_UP}](?:[{_LOW}]{{0,2}}\.|[\w'’-]*)"  # a capitalised word; "St." and "Mt." may end in a dot
_HOUSE = r"\d{1,6}[A-Za-z]?(?:[-/]\d{1,4}[A-Za-z]?)?"
_DIRECTION = r"(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)\.?"
_EN_TYPES_STRONG = (
    r"Street|St|Avenue|Ave|Road|Rd|Lane|Ln|Boulevard|Blvd|Drive|Dr|Way|Court|Ct|Place|Pl|Terrace|Ter|Circle|Cir|"
    r"Parkway|Pkwy|Highway|Hwy|Square|Sq|Crescent|Cres|Close|Trail|Trl|Plaza|Alley|Mews|Grove|Gardens|Row|"
    r"Turnpike|Tpke|Expressway|Expy|Freeway|Fwy|Pike|Str")
# The rest of the USPS street suffixes: ordinary words too, so they need a unit, a city with a
# postcode, or an address word before them.
_EN_TYPES_WEAK = (
    r"Bend|Bluffs?|Branch|Bridge|Brooks?|Bypass|Canyon|Cape|Causeway|Center|Cliffs?|Commons?|Corners?|Courts|Cove|"
    r"Creek|Crest|Crossing|Crossroad|Curve|Dale|Drives|Estates?|Extension|Falls?|Ferry|Fields?|Flats?|Fords?|"
    r"Forest|Forges?|Forks?|Fort|Gateway|Glens?|Greens?|Groves|Harbors?|Haven|Heights|Hills?|Hollow|Inlet|"
    r"Islands?|Isle|Junctions?|Keys?|Knolls?|Lakes?|Landing|Lights?|Locks?|Lodge|Loop|Mall|Manors?|Meadows?|"
    r"Mills?|Mission|Motorway|Mount|Mountains?|Neck|Orchard|Oval|Overpass|Parks?|Pass|Passage|Path|Pines?|"
    r"Plains?|Points?|Ports?|Prairie|Ranch|Rapids?|Ridges?|River|Roads|Route|Run|Shoals?|Shores?|Skyway|"
    r"Springs?|Spurs?|Squares|Station|Stravenue|Stream|Streets|Summit|Trace|Track|Trafficway|Tunnel|Underpass|"
    r"Unions?|Valleys?|Viaduct|Views?|Village|Villages|Ville|Vista|Walks?|Wall|Ways|Wells?")
_UNIT_WORDS = r"Apt|Apartment|Suite|Ste|Unit|Flat|Floor|Fl|Room|Rm|Bldg|Building|Dept"
_UNIT_ID = r"(?:\d[\w-]{0,5}|[A-Z])\b"
_EN_LOWER_TYPES = r"street|avenue|road|boulevard|lane|drive"
_EN_STOP = (r"(?!(?:a|an|the|my|your|our|his|her|their|this|that|these|those|on|in|at|to|of|for|by|and|or|but|per|"
            r"more|less|other|all|any|some|each|every|same|down|up|across|along|off|out|from|with|times?|days?|"
            r"weeks?|months?|years?|hours?|minutes?|blocks?|miles?|km|items?|units?|orders?)\b)")
_ES_STOP = (r"(?!(?:tiene|tienen|es|est[áa]|hay|con|sin|para|por|que|muy|m[áa]s|y|o|a|en|son|tarda|mide|"
            r"cerrada|cortada)\b)")
_ES_PARTICLES = r"(?:(?:de\s+la|de\s+los|de\s+las|del|de|d['’]|la|el|los|las|en)\s+)?"
_ES_NUMBER = (r",?\s*(?:(?i:n[º°o]\.?|núm\.?|num\.?|número|numero)\s*)?\d{1,4}[A-Za-z]?"
              r"(?![\w./-]|[.,]\d|\s?(?:%|€|\$|horas?|d[íi]as?|min\w*|km|metros?|grados?)\b)")
_DE_NUMBER = r"\s*\d{1,4}\s?[a-zA-Z]?(?:\s?[-/]\s?\d{1,4}[a-z]?)?(?![\w./-]|[.,]\d|\s?(?:uhr|€|%)\b)"
_FR_PARTICLES = r"(?:(?:de\s+la|de\s+l['’]|des|du|de|d['’]|la|le|les|l['’]|aux?)\s*)?"

_PARTICLES = (r"(?:do|da|dos|das|de|del|della|delle|dello|dei|degli|di|e|du|des|de\s+la|de\s+l['’]|d['’]|la|le|"
              r"les|l['’])")

_ADDRESS_PATTERNS = [
    # English, number first: "221B Baker Street", "600 Harbor Boulevard Suite 210", "5 W 42nd St"
    ("strong", re.compile(
        rf"(?<![\w.,/+-]){_HOUSE},?\s+(?:{_DIRECTION}\s+)?(?:(?:{_CAP}|\d{{1,3}}(?:st|nd|rd|th))\s+){{1,4}}?"
        rf"(?:{_EN_TYPES_STRONG})\b\.?(?:\s+{_DIRECTION}(?!\w))?")),
    ("weak", re.compile(
        rf"(?<![\w.,/+-]){_HOUSE}\s+(?:{_DIRECTION}\s+)?(?:{_CAP}\s+){{1,3}}?(?:{_EN_TYPES_WEAK})\b\.?")),
    # English, typed in lower case: "221b baker street" (two name words at most, no small words)
    ("strong", re.compile(
        rf"(?<![\w.,/+-]){_HOUSE}\s+(?:{_EN_STOP}[a-z][a-z'’-]+\s+){{1,2}}(?:{_EN_LOWER_TYPES})\b")),
    # A number, a capitalised name and a unit: "6750 Smith Ports Apt. 864"
    ("strong", re.compile(
        rf"(?<![\w.,/+-]){_HOUSE}\s+(?:{_CAP}\s+){{1,3}}(?:\d{{1,5}}\s+)?(?:{_UNIT_WORDS})\b\.?\s*#?\s*{_UNIT_ID}")),
    # French, number first: "12 rue de la Paix", "7 place du Capitole", "3 bis, avenue Foch"
    ("strong", re.compile(
        rf"(?<![\w.,/+-])\d{{1,4}}(?:\s?(?:bis|ter|[A-Da-d])\b)?,?\s+"
        rf"(?i:rue|boulevard|bd|chemin|all[ée]e|impasse|quai|faubourg|fg)\s+{_FR_PARTICLES}[\w'’-]+"
        rf"(?:[\s-]+(?:(?:de|du|des|la|le|les|d['’]|l['’]|et|sur|sous|en|aux?)\s+)?{_CAP}){{0,3}}")),
    ("strong", re.compile(
        rf"(?<![\w.,/+-])\d{{1,4}}(?:\s?(?:bis|ter|[A-Da-d])\b)?,?\s+"
        rf"(?i:avenue|av\.|place|pl\.|cours|route|square|passage|voie|r[ée]sidence|villa|cit[ée]|sentier|"
        rf"promenade|esplanade|parvis|rond-point|mont[ée]e)\s+{_FR_PARTICLES}{_CAP}"
        rf"(?:[\s-]+(?:(?:de|du|des|la|le|les|d['’]|l['’]|et|sur|sous|en|aux?)\s+)?{_CAP}){{0,3}}")),
    # Spanish and Catalan, type first: "Calle Mayor 5", "Avda. de América 12", "Passeig Marítim 56"
    ("strong", re.compile(
        rf"(?<![\w.-])(?i:calle|c/|avenida|avda\.?|paseo|p[º°]|passeig|carrer|camino|ronda|traves[íi]a|carretera|"
        rf"ctra\.?|glorieta|rambla|callej[óo]n|pasaje|urbanizaci[óo]n|plaza|pza\.?|pla[çc]a)\s*{_ES_PARTICLES}"
        rf"{_CAP}(?:\s+(?:(?:de|del|de\s+la|de\s+los|de\s+las|y|i|la|el)\s+)?{_CAP}){{0,3}}{_ES_NUMBER}")),
    ("strong", re.compile(
        rf"(?<![\w.-])(?i:calle|c/|avenida|avda\.?|passeig|carrer)\s*{_ES_PARTICLES}"
        rf"{_ES_STOP}[{_LOW}]+(?:\s+{_ES_STOP}[{_LOW}]+)?{_ES_NUMBER}")),
    # German and Austrian: "Hauptstraße 12", "Hauptstr. 5a", "Birkenweg 3", "Mariahilfer Straße 102"
    ("strong", re.compile(rf"(?<![\w-])[A-Za-zÄÖÜäöü][a-zäöüß-]*(?i:straße|strasse|str\.){_DE_NUMBER}")),
    ("strong", re.compile(
        r"(?<![\w-])(?!(?:Arbeits|Park|Sitz|Stell|Speicher|Spiel|Lager|Steck|Camping|Sport|Liege|Abstell|Steh)platz"
        r"|(?:Rück|Hin|Aus|Um|Liefer|Versand|Zahlungs|Rechts|Bremsweg)weg)"
        rf"[A-ZÄÖÜ][a-zäöüß-]*(?:weg|allee|platz|gasse|damm|ufer|chaussee|pfad){_DE_NUMBER}")),
    ("strong", re.compile(
        rf"(?<![\w-])(?:{_CAP}\s+){{1,2}}(?:Straße|Strasse|Str\.|Weg|Allee|Platz|Gasse|Damm|Ufer|Chaussee|Ring)"
        rf"{_DE_NUMBER}")),
    # Elsewhere in Europe: "Asselsestraat 7", "Skoanveien 226", "Rua do Arenque 1634", "Via Roma 10"
    ("strong", re.compile(
        r"(?<![\w-])[A-Za-zÆØÅÄÖæøåäö][a-zæøåäöüé-]*(?:straat|laan|gracht|plein|steeg|vej|gatan|gata|vägen|veien|katu)"
        r"\s+\d{1,4}[a-zA-Z]?(?![\w./-]|[.,]\d)")),
    ("strong", re.compile(
        rf"(?<![\w-])(?:Rua|Rúa|Travessa|Via|Viale|Piazza|Corso|Largo|ul\.|Ulica|Rue|Avenue|Chaussée|Boulevard|"
        rf"Place|Quai|Drève)\s+(?:{_PARTICLES}\s+)?{_CAP}(?:\s+(?:{_PARTICLES}\s+)?{_CAP}){{0,3}},?\s+"
        r"\d{1,4}[A-Za-z]?(?![\w./-]|[.,]\d)")),
    # An apartment or suite on its own: "Apt. 864", "Suite 210"
    ("strong", re.compile(r"(?<![\w-])(?<!Office )(?:(?i:apt|apartment)\.?|Suite|Ste\.)\s*#?\s*\d{1,5}[A-Za-z]?\b")),
    # US military addresses: "PSC 4574, Box 8393", "APO AA 81998", "USNS Bergman, FPO AP 93757"
    ("strong", re.compile(
        r"(?<![\w-])(?i:(?:PSC|CMR|Unit)\s+\d{3,5},?\s+Box\s+\d{1,5}|(?:USNS|USS|USCGC)\s+[^\W\d_][\w'-]*)"
        r"(?i:\s*,?\s*(?:APO|FPO|DPO)\s+(?:AA|AE|AP)\s+\d{5})?")),
    ("strong", re.compile(r"(?<![\w-])(?i:APO|FPO|DPO)\s+(?i:AA|AE|AP)\s+\d{5}\b")),
    # Post office boxes
    ("strong", re.compile(
        r"(?<![\w-])(?i:p\.?\s?o\.?\s?box|post\s+office\s+box|apartado(?:\s+de\s+correos)?|postfach|"
        r"bo[iî]te\s+postale)\s*\d[\d ]{0,8}\d?(?![\w-])")),
]

_CITY = rf"{_CAP}(?:[ -](?:{_CAP}|de|del|la|le|sur|am|an|der|upon|on|im)){{0,3}}"
_UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}"
_CA_POSTCODE = r"[A-Z]\d[A-Z]\s?\d[A-Z]\d"
_COUNTRY = (r"United\s+States(?:\s+of\s+America)?|USA|U\.S\.A?\.?|United\s+Kingdom|UK|Canada|Spain|Espa[ñn]a|"
            r"Mexico|M[ée]xico|Germany|Deutschland|Austria|[ÖO]sterreich|Switzerland|Schweiz|Suisse|France|"
            r"Belgium|Belgique|Ireland|Italy|Portugal|Netherlands")
_UNIT_AFTER = re.compile(
    rf",?\s*(?:(?:{_UNIT_WORDS}|Piso|Planta|Puerta|Pta|Esc|Escalera|Wohnung|Whg|Etage|Appartement|Appt|"
    r"B[âa]t|B[âa]timent|[ÉE]tage|Porte)\b\.?\s*(?:#|n[º°o]\.?)?\s*[\w-]{1,6}\b"
    r"|#\s*\d{1,5}[A-Za-z]?\b"
    r"|\d{1,2}\s?[º°ª]\s?(?:[A-Za-z]\b|izq\w*|dch\w*|der\w*)?"
    r"|(?:bajo|ático|atico|entresuelo)\b)", re.I)
_PLACE_AFTER = re.compile(
    rf",?\s*(?:(?:[A-Z]{{1,2}}-)?\d{{4,5}}\s+{_CITY}"  # "75002 Paris", "D-10969 Berlin", "1070 Wien"
    rf"|{_CITY},?\s+(?:[A-Z]{{2}},?\s+)?\d{{5}}(?:-\d{{4}})?(?!\d)"  # "Austin, TX 78745", "Madrid, 28005"
    rf"|{_CITY},?\s+(?:{_UK_POSTCODE}|{_CA_POSTCODE})\b"  # "Cambridge, CB1 1DS"
    rf"|{_CITY},?\s+[A-Z]{{2}},?\s+(?:{_CA_POSTCODE})\b"  # "Toronto ON, M4Y 1H3"
    rf"|{_CITY},\s*[A-Z]{{2}}(?=\s*(?:[,.;)\n]|$))"  # "Springfield, IL"
    rf"|{_CITY},?\s+\d{{4}}(?=\s*,\s*(?:{_COUNTRY})\b)"  # "Wien, 1070, Austria"
    rf"|\d{{5}}(?:-\d{{4}})?(?!\d)|(?:{_UK_POSTCODE}|{_CA_POSTCODE})\b)")
_COUNTRY_AFTER = re.compile(rf",?\s*(?:{_COUNTRY})\b")
_UNIT_BEFORE = re.compile(rf"(?:\b(?:{_UNIT_WORDS}|Appartement|Piso|Wohnung)\b\.?\s*#?\s*[\w-]{{1,6}},?\s+)$", re.I)
_ADDRESS_WORDS = re.compile(
    r"(?:address|addr|live[sd]?\s+(?:at|on)|ship(?:ped)?\s+to|deliver(?:ed|y)?\s+to|send\s+(?:it\s+)?to|"
    r"located\s+at|moved\s+to|direcci[óo]n|domicilio|vivo\s+en|enviar\s+a|adresse|anschrift|wohne|"
    r"lieferadresse|habite|livr\w*\s+[àa])\W+(?:\w+\W+){0,3}$", re.I)


_YEAR_BEFORE = re.compile(r"\b(?:in|since|by|until|till|from|before|after|en|desde|hasta|im|seit|bis|vor|nach|depuis|"
                          r"jusqu'en|avant|après)\s+$", re.I)
