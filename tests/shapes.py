"""Files in the shapes real third parties publish, built here (seeded, offline) for the tests.

- :func:`missing_migrants_americas`: a public incident data set shaped like IOM's Missing Migrants
  Project for the Americas (one row an incident, split incidents sharing a "Main ID", a "lat, lon"
  "Coordinates" column, "Total Number of Dead and Missing", listed "Country of Origin", a "Migration
  Route" label, free-text "Location of Incident", "Cause of Death", and one point in Türkiye).
- :func:`ctdc_raw` and :func:`ctdc_derived`: CTDC's global victim-level file as published (junk
  first column, ``-99``, one-hot families, ISO-2 citizenship, no case id) and as derived from it
  (flags written ``1.0``/``0.0``, citizenship ``0``/``00`` for unknown).
- :func:`xlsform` and :func:`kobo_export`: a KoboToolbox form and an export of it (group paths,
  ``select_multiple`` space-separated, Kobo's metadata columns).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd

# ------------------------------------------------------------------------- Missing Migrants Project

#: Incident sites: (name written in the file, lat, lon, the project's route label).
MMP_SITES = (
    ("near Necoclí, Antioquia, Colombia", 8.45, -76.70, "Darien"),
    ("Darien jungle, Panama", 8.05, -77.55, "Darien"),
    ("Villa del Rosario, Norte de Santander, Colombia", 7.83, -72.47, "Venezuela to Colombia"),
    ("Tapachula, Chiapas, Mexico", 14.90, -92.26, "Central America to US"),
    ("2 km from Puerto Obaldía", 8.66, -77.42, "Darien"),
)
MMP_ORIGINS = ("Venezuela (Bolivarian Republic of)", "Venezuela (Bolivarian Republic of),Colombia",
               "Honduras,Unknown", "Haiti", "Ecuador", "Unknown")
MMP_CAUSES = ("Drowning", "Violence",
              "Harsh environmental conditions / lack of adequate shelter, food, water")
#: The outlier: a real data-entry error, a point in Ankara in a study of the Americas.
MMP_OUTLIER = "39.93, 32.86"


def missing_migrants_americas(path: Path, n: int = 60, *, seed: int = 13) -> Path:
    """Write ``n`` incidents shaped like the Missing Migrants Project's Americas file to ``path``.

    The second row is a split of the first (same "Main ID", same site); the last row is the outlier
    in Türkiye. Coordinates fall within 5 km of their site.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        location, lat, lon, route = MMP_SITES[max(i - 1, 0) % len(MMP_SITES)]  # rows 1 and 2: one site
        dead, missing = int(rng.integers(0, 4)), int(rng.integers(0, 3))
        rows.append({
            "Main ID": f"2023.MMP{i:04d}", "Incident ID": f"2023.MMP{i:04d}",
            "Incident Date": f"2023-{1 + i % 12:02d}-{1 + i % 27:02d}",
            "Region of Incident": "Central America" if route == "Central America to US" else "South America",
            "Number of Dead": dead, "Minimum Estimated Number of Missing": missing,
            "Total Number of Dead and Missing": dead + missing + 1,  # every record counts someone
            "Country of Origin": MMP_ORIGINS[i % len(MMP_ORIGINS)],
            "Cause of Death": MMP_CAUSES[i % len(MMP_CAUSES)],
            "Migration Route": route, "Location of Incident": location,
            "Coordinates": f"{lat + rng.normal(0, 0.02):.5f}, {lon + rng.normal(0, 0.02):.5f}",
        })
    table = pd.DataFrame(rows)
    table.loc[1, "Main ID"] = table.loc[0, "Main ID"]  # a split incident
    table.loc[n - 1, ["Coordinates", "Location of Incident", "Migration Route"]] = [
        MMP_OUTLIER, "Ankara, Türkiye", "Eastern Mediterranean"]
    table.to_csv(path, index=False)
    return path


# ------------------------------------------------------------------------------------------ CTDC

CTDC_FAMILIES = ("meansOfControlDebtBondage", "meansOfControlThreats", "meansOfControlNotSpecified",
                 "isSexualExploit", "isForcedLabour", "typeOfLabourAgriculture", "typeOfLabourConstruction")


def _iso2() -> list[str]:
    import pycountry

    return [c.alpha_2 for c in pycountry.countries if c.alpha_2 != "NA"]  # "NA" reads as not available


def ctdc_raw(path: Path, n: int = 400, *, seed: int = 5) -> Path:
    """CTDC's global file as published: an unnamed index column, ``-99`` for missing, one-hot
    families, ISO-2 citizenship (``-99`` unknown), no case id."""
    rng = np.random.default_rng(seed)
    citizenship = rng.choice([*_iso2(), "-99"], n)
    rows = []
    for i in range(n):
        flags = ["1" if x else "0" for x in rng.random(len(CTDC_FAMILIES)) < 0.3]
        flags[5:] = ["1", "0"] if flags[5] == "1" else ["0", flags[6]]  # one labour sector at most
        flags = [f if rng.random() > 0.1 else "-99" for f in flags]
        rows.append([str(i), str(2015 + i % 8), rng.choice(["Female", "Male", "-99"]),
                     rng.choice(["9--17", "18--20", "30--38", "-99"]), citizenship[i], *flags])
    header = ["", "yearOfRegistration", "gender", "ageBroad", "citizenship", *CTDC_FAMILIES]
    pd.DataFrame(rows, columns=header).to_csv(path, index=False)
    return path


def ctdc_derived(path: Path, n: int = 400, *, seed: int = 6) -> Path:
    """A file derived from CTDC's: flags written ``1.0``/``0.0``, citizenship ISO-2 or ``0``/``00``."""
    rng = np.random.default_rng(seed)
    citizenship = rng.choice([*_iso2(), "0", "00"], n)
    rows = [[str(2016 + i % 7), rng.choice(["Female", "Male"]), rng.choice(["18--20", "39--47"]),
             citizenship[i], *rng.choice(["1.0", "0.0"], 2)] for i in range(n)]
    header = ["yearOfRegistration", "gender", "ageBroad", "citizenship", "isSexualExploit", "isForcedLabour"]
    pd.DataFrame(rows, columns=header).to_csv(path, index=False)
    return path


# ------------------------------------------------------------------------------------ KoboToolbox

KOBO_SURVEY = [
    ["text", "caso", "Código del caso", "Case code"],
    ["date", "fecha", "Fecha de atención", "Date of attention"],
    ["begin_group", "perfil", "Perfil", "Profile"],
    ["select_one sexo", "sexo", "Sexo", "Sex"],
    ["select_one tipo", "tipo_caso", "Tipo de caso", "Case type"],
    ["end_group", "", "", ""],
    ["begin_group", "ruta", "Ruta", "Route"],
    ["select_multiple riesgos", "riesgos", "Riesgos en la ruta", "Risks on the route"],
    ["text", "recorrido", "Ruta seguida", "Route followed"],
    ["end_group", "", "", ""],
    ["select_one sino", "autoriza", "¿Autoriza el reporte?", "Consent to reporting?"],
    ["select_one vehiculo", "medio", "Medio de transporte", "Means of transport"],
]
KOBO_CHOICES = [
    ["sexo", "f", "Mujer", "Woman"], ["sexo", "m", "Hombre", "Man"],
    ["tipo", "tdp", "Trata de personas", "Trafficking"], ["tipo", "tim", "Tráfico de migrantes", "Smuggling"],
    ["riesgos", "extorsion", "Extorsión", "Extortion"],
    ["riesgos", "abuso_sexual", "Abuso sexual", "Sexual abuse"],
    ["riesgos", "amenazas", "Amenazas", "Threats"], ["riesgos", "otro", "Otro", "Other"],
    ["sino", "si", "Sí", "Yes"], ["sino", "no", "No", "No"],
    ["vehiculo", "bus", "Bus", "Bus"], ["vehiculo", "lancha", "Lancha", "Boat"],
]
# An export ("XML values and headers"): group paths, choice names, select_multiple space-separated,
# Kobo's metadata columns.
KOBO_HEADER = ["start", "end", "caso", "fecha", "perfil/sexo", "perfil/tipo_caso", "ruta/riesgos",
               "ruta/recorrido", "autoriza", "medio", "_id", "_uuid", "_submission_time", "_index"]
KOBO_ROWS = [
    ["2024-03-01T10:00", "2024-03-01T10:20", "K-1", "2024-03-01", "f", "tdp", "extorsion amenazas",
     "Maracaibo > Maicao > Bogotá", "si", "bus", "101", "a1", "2024-03-01T10:21", "1"],
    ["2024-03-02T09:00", "2024-03-02T09:30", "K-2", "2024-03-02", "m", "tim", "abuso_sexual",
     "Cúcuta > Pasto > Ipiales", "no", "lancha", "102", "a2", "2024-03-02T09:31", "2"],
    ["2024-03-03T09:00", "2024-03-03T09:30", "K-3", "2024-03-03", "f", "tim", "",
     "Cúcuta > Bucaramanga", "si", "", "103", "a3", "2024-03-03T09:31", "3"],
]
KOBO_ROUTES = ("Cúcuta > Bucaramanga > Bogotá", "Cúcuta > Pamplona > Bucaramanga", "Maicao > Barranquilla",
               "Ipiales > Tulcán > Quito", "Cúcuta > Bogotá > Cali > Pasto > Ipiales")


def xlsform(path: Path) -> Path:
    """The XLSForm of :data:`KOBO_SURVEY` and :data:`KOBO_CHOICES`, labels in Spanish and English."""
    book = openpyxl.Workbook()
    survey = book.active
    survey.title = "survey"
    survey.append(["type", "name", "label::Español (es)", "label::English (en)"])
    for row in KOBO_SURVEY:
        survey.append(row)
    choices = book.create_sheet("choices")
    choices.append(["list_name", "name", "label::Español (es)", "label::English (en)"])
    for row in KOBO_CHOICES:
        choices.append(row)
    settings = book.create_sheet("settings")
    settings.append(["form_title", "form_id", "default_language"])
    settings.append(["Casos TdP", "casos_tdp", "Español (es)"])
    book.save(path)
    return path


def kobo_export(path: Path, header: list[str] = KOBO_HEADER, rows: list[list[str]] = KOBO_ROWS) -> Path:
    """An export of the form as CSV (the given header and rows)."""
    pd.DataFrame(rows, columns=header).to_csv(path, index=False)
    return path


def kobo_rows(n: int, *, seed: int = 8) -> list[list[str]]:
    """``n`` submissions of the form, with routes of the corridors and every choice used."""
    rng = np.random.default_rng(seed)
    risks = ["extorsion", "abuso_sexual", "amenazas"]
    rows = []
    for i in range(n):
        day = f"2024-{1 + i % 6:02d}-{1 + i % 28:02d}"
        picked = " ".join(r for r in risks if rng.random() < 0.4)
        rows.append([f"{day}T09:00", f"{day}T09:30", f"K-{i + 1}", day, rng.choice(["f", "m"]),
                     rng.choice(["tdp", "tim"]), picked, KOBO_ROUTES[i % len(KOBO_ROUTES)], "si",
                     rng.choice(["bus", "lancha", ""]), str(100 + i), f"u{i}", f"{day}T09:31", str(i + 1)])
    return rows
