"""The continent of each EmojiOne country flag, from its file name alone (offline).

A country flag is named by two regional-indicator code points, i.e. an ISO 3166-1
alpha-2 code (``1F1EB-1F1F7.png`` is FR, France). Continents follow the UN M49 regions
(Cyprus, Turkey and the Caucasus in Asia, Russia in Europe), with the Americas split at
Panama/Colombia into North America (Central America and the Caribbean included) and South
America; the sub-Antarctic territories (AQ, BV, GS, HM, TF) form Antarctica. The two flags
that are not countries: EU is Europe; CP (Clipperton, not in M49) is North America.
With ``--labels=auto`` (the default) the flags converter labels every flag by continent,
so ``--conditional`` works on flags.
"""

from __future__ import annotations

from pathlib import Path

CONTINENTS = {
    "Africa": (
        "AC AO BF BI BJ BW CD CF CG CI CM CV DG DJ DZ EA EG EH ER ET GA GH GM GN GQ GW IC IO "
        "KE KM LR LS LY MA MG ML MR MU MW MZ NA NE NG RE RW SC SD SH SL SN SO SS ST SZ TA TD "
        "TG TN TZ UG YT ZA ZM ZW"
    ),
    "Antarctica": "AQ BV GS HM TF",
    "Asia": (
        "AE AF AM AZ BD BH BN BT CN CY GE HK ID IL IN IQ IR JO JP KG KH KP KR KW KZ LA LB LK "
        "MM MN MO MV MY NP OM PH PK PS QA SA SG SY TH TJ TL TM TR TW UZ VN YE"
    ),
    "Europe": (
        "AD AL AT AX BA BE BG BY CH CZ DE DK EE ES EU FI FO FR GB GG GI GR HR HU IE IM IS IT "
        "JE LI LT LU LV MC MD ME MK MT NL NO PL PT RO RS RU SE SI SJ SK SM UA VA XK"
    ),
    "N. America": (
        "AG AI AW BB BL BM BQ BS BZ CA CP CR CU CW DM DO GD GL GP GT HN HT JM KN KY LC MF MQ "
        "MS MX NI PA PM PR SV SX TC TT US VC VG VI"
    ),
    "Oceania": (
        "AS AU CC CK CX FJ FM GU KI MH MP NC NF NR NU NZ PF PG PN PW SB TK TO TV UM VU WF WS"
    ),
    "S. America": "AR BO BR CL CO EC FK GF GY PE PY SR UY VE",
}
CONTINENT_OF = {code: name for name, codes in CONTINENTS.items() for code in codes.split()}


def country_code(file_name: str) -> str | None:
    """``"1f1eb-1f1f7.png"`` → ``"FR"``; ``None`` unless the name is a regional-indicator pair."""
    parts = Path(file_name).stem.lower().split("-")
    if len(parts) != 2:
        return None
    letters = []
    for part in parts:
        try:
            value = int(part, 16)
        except ValueError:
            return None
        if not 0x1F1E6 <= value <= 0x1F1FF:
            return None
        letters.append(chr(ord("A") + value - 0x1F1E6))
    return "".join(letters)


def continent_of(key: str) -> str | None:
    """The continent of a flag file (its path in the source folder), ``None`` if unknown."""
    code = country_code(Path(key).name)
    return CONTINENT_OF.get(code) if code else None
