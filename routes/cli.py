"""The ``routes`` command line: one command from a case export to publishable products.

Commands: ``demo``, ``validate``, ``sample``, ``network``, ``patterns``, ``map``, ``brief``.
Every product written here goes through the public disclosure policy unless ``--internal`` is given.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    import geopandas as gpd

    from routes.briefs import Lang
    from routes.network import RouteNetwork
    from routes.patterns import PatternClusters
    from routes.privacy import DisclosurePolicy
    from routes.publish import Ledger, Release

console = Console(highlight=False)
if not console.is_terminal:
    console.width = max(console.width, 140)
err_console = Console(stderr=True, highlight=False)


def _table(title: str, frame: pd.DataFrame, *, max_rows: int = 20) -> Table:
    table = Table(title=title, title_justify="left")
    for col in frame.columns:
        table.add_column(str(col))
    for _, row in frame.head(max_rows).iterrows():
        table.add_row(*("" if v is None else str(v) for v in row.tolist()))
    return table


def cmd_validate(args: argparse.Namespace) -> int:
    from routes.io import validate

    report = validate(args.file, events=args.events, mapping=args.mapping, preset=args.preset,
                      sheet=args.sheet, events_sheet=args.events_sheet)
    console.print(_table("Validation summary", report.summary().reset_index()))
    _print_warnings(report.warnings)
    if not report.n_read["cases"]:
        console.print(f"[bold red]0 rows read[/]: {args.file} holds a header and no rows of cases")
        return 1
    if report.n_rejected:
        rejected_path = Path(args.rejected) if args.rejected else _rejected_path(args.file)
        report.rejected.to_csv(rejected_path, index=False)
        console.print(_table("First rejected rows", report.rejected))
        console.print(f"[bold red]{report.n_rejected} rows rejected[/]; all reasons in {rejected_path}")
        return 1
    console.print("[green]every row accepted[/]")
    return 0


def _print_warnings(warnings: pd.DataFrame, *, to_stderr: bool = False) -> None:
    """Meaning lost or assumed while reading (no row rejected for it): always shown."""
    if not len(warnings):
        return
    target = err_console if to_stderr else console
    target.print(f"[yellow]Warnings ({len(warnings)}): read, but check[/]")
    for table, file, column, text in warnings[["table", "file", "column", "warning"]].itertuples(index=False):
        where = escape(f"{file} ({table})" + (f", {column}" if column else ""))
        target.print(f"[yellow]warning:[/] {where}: {escape(text)}", soft_wrap=True)


def cmd_mapping_suggest(args: argparse.Namespace) -> int:
    from routes.mapping import suggest_mapping

    suggestion = suggest_mapping(args.file, sheet=args.sheet, form=args.form)
    text = suggestion.to_yaml()
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        console.print(f"wrote {args.output}: edit it, then `routes validate {args.file} --mapping "
                      f"{args.output}`")
    else:
        sys.stdout.write(text)  # as is: YAML to redirect into a file
    return 0


def _rejected_path(input_file: str) -> Path:
    """Where the rejected rows of ``input_file`` go unless told: ``cases.xlsx`` → ``cases.rejected.csv``."""
    return Path(input_file).with_suffix(".rejected.csv")


def cmd_sample(args: argparse.Namespace) -> int:
    from routes.sample import write_sample

    paths = write_sample(args.out, seed=args.seed, people=args.people)
    for name, path in paths.items():
        console.print(f"wrote {name}: {path}")
    return 0


def _read(args: argparse.Namespace) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Cases and events of the command's input, rejected rows reported (never dropped silently)."""
    from routes.errors import CaseDataError
    from routes.io import validate

    report = validate(args.cases, events=args.events, mapping=getattr(args, "mapping", None),
                      preset=getattr(args, "preset", None), sheet=args.sheet, events_sheet=args.events_sheet)
    if not report.n_read["cases"]:
        raise CaseDataError(f"{args.cases}: a header and no rows of cases; nothing to count")
    if report.n_rejected:
        rejected = _rejected_path(args.cases)
        report.rejected.to_csv(rejected, index=False)
        err_console.print(f"[yellow]{report.n_rejected} rows rejected and left out; reasons in {rejected}[/]")
    _print_warnings(report.warnings, to_stderr=True)
    return report.cases, report.events


def _services(path: str | None) -> gpd.GeoDataFrame | None:
    from routes.io import read_services

    return read_services(path) if path else None


def _policy(args: argparse.Namespace) -> DisclosurePolicy:
    from routes.errors import PolicyError
    from routes.privacy import DisclosurePolicy

    k = {"k": args.k} if args.k is not None else {}
    chosen = getattr(args, "policy", None)
    if chosen == "public-source":
        if not args.source or args.k is not None:
            raise PolicyError("--policy public-source publishes data its source already made public: give "
                              "--source \"who published it\" (and --licence), and no --k")
        return DisclosurePolicy.public_source(source=args.source, licence=args.licence or "")
    if chosen == "internal" or getattr(args, "internal", False):
        console.print("[bold red]CONFIDENTIAL[/]: internal policy (finer detail, never identifiers)")
        return DisclosurePolicy.internal(**k)
    if chosen == "formal" or getattr(args, "formal", False):
        return DisclosurePolicy.formal(epsilon=args.epsilon, budget_epsilon=args.budget, **k)
    return DisclosurePolicy.public(**k)


def _network(cases: gpd.GeoDataFrame, events: gpd.GeoDataFrame) -> RouteNetwork:
    from routes.network import RouteNetwork

    with console.status("building the route network"):
        return RouteNetwork.from_events(events, cases=cases)


def cmd_network(args: argparse.Namespace) -> int:
    cases, events = _read(args)
    net = _network(cases, events)
    console.print(net.summary())
    if len(net.segments):
        console.print(_table("Chokepoints (share of journeys passing through)",
                             net.chokepoints(top=args.top).reset_index().round(3)))
        riskiest = net.riskiest("segments", top=args.top, min_people=11).reset_index(drop=True)
        console.print(_table("Riskiest segments with 11+ people (incidents per 100 people)",
                             riskiest.round(1)))
    else:  # an incident data set: places and incidents, nothing passes through anything
        places = net.places.sort_values(["n_incidents", "n_people"], ascending=False).head(args.top)
        console.print(_table("Places with most incidents (no journeys: no chokepoints or segments)",
                             places[["name", "country", "n_people", "n_incidents"]].reset_index()))
    if len(net.unattached):
        reasons = net.unattached["reason"].value_counts().rename_axis("reason").reset_index(name="n_events")
        console.print(_table("Events not attached to the network, by reason", reasons))
    if args.output:
        net.to_file(args.output)
        console.print(f"wrote {args.output} (layers places, segments): the analyst's working file with "
                      "exact counts - CONFIDENTIAL, publish through `routes map` or `routes brief`")
    if args.records:
        _count_records(args, net, cases)
    return 0


def _count_records(args: argparse.Namespace, net: RouteNetwork, cases: gpd.GeoDataFrame) -> None:
    """The large path: distinct people per place, segment, hexagon and month of a big record set."""
    from routes.scale import distinct_counts

    counts = distinct_counts(args.records, net, by="month", cases=cases, workers=args.workers,
                             client=args.scheduler, progress=True)
    console.print(_table("Records (large path)", counts.quarantine.summary().reset_index()))
    out = Path(args.counts_out)
    out.mkdir(parents=True, exist_ok=True)
    for name in ("places", "segments", "hexagons", "place_incidents", "segment_incidents"):
        getattr(counts, name).to_csv(out / f"{name}.csv", index=False)
    if counts.quarantine.n_rejected:
        counts.quarantine.rejected.to_csv(out / "rejected.csv", index=False)
    console.print(f"wrote the distinct-people counts (exact, CONFIDENTIAL working tables) into {out}/")


def _patterns(cases: gpd.GeoDataFrame, events: gpd.GeoDataFrame | None = None, **options: Any
              ) -> PatternClusters:
    from routes.patterns import PatternClusters

    with console.status("clustering cases by modus operandi and profile"):
        return PatternClusters(random_state=0, **options).fit(cases, events=events)


def _profiles_table(model: PatternClusters, lang: str) -> pd.DataFrame:
    table = model.profiles_.to_frame()
    return table[["cluster", "n_people", "share", "stability", f"label_{lang}"]].round(2)


def cmd_patterns(args: argparse.Namespace) -> int:
    cases, _ = _read(args)
    model = _patterns(cases, features=args.features, method=args.method)
    console.print(_table("Patterns (reported cases, not prevalence)", _profiles_table(model, args.lang)))
    if args.output:
        labels = model.profiles_.to_frame().set_index("cluster")[f"label_{args.lang}"]
        out = pd.DataFrame({"case_id": cases["case_id"], "cluster": model.labels_})
        out["label"] = out["cluster"].map(labels)
        out.to_csv(args.output, index=False)
        console.print(f"wrote {args.output}: one row per case with its cluster (CONFIDENTIAL working file)")
    return 0


def _estimator() -> PatternClusters:
    from routes.patterns import PatternClusters

    return PatternClusters(random_state=0)


def _release(args: argparse.Namespace, *, corridors: Sequence[str] | None = None) -> Release:
    """The one protected release of a publication: counted, protected, checked against the ledger."""
    from routes.publish import Ledger, Release

    cases, events = _read(args)
    ledger = Ledger(args.ledger)
    named = args.dataset or Path(args.cases).stem
    with console.status("building and attacking the release"):
        release = Release.build(cases, events, policy=_policy(args), period=args.period,
                                patterns=_estimator(), services=_services(args.services), corridors=corridors,
                                target=getattr(args, "target", None),
                                assisted=getattr(args, "assisted", None),
                                dataset=named,
                                source=args.source or Path(args.cases).name, ledger=ledger,
                                revise=args.revise)
    console.print(f"{release.stamp()}; {release.audit.summary()}")
    _say_ledger(ledger)
    if release.dataset != named:
        console.print(f"the people of {named!r} are, nearly all, those the ledger published as "
                      f"{release.dataset!r} for an overlapping period: it is published as that data set")
    if release.uncompared:
        console.print(f"[bold yellow]no comparison with the period before[/]: {release.uncompared}; "
                      "the briefs show this period alone")
    if release.audit.recorded:
        console.print(f"{release.period.label} was published before as {release.dataset!r}: every cell "
                      "keeps its earlier value; --revise publishes changes of k or more people")
    return release


def _say_ledger(ledger: Ledger) -> None:
    """Where the ledger is, and loudly when it is new: releases made elsewhere are unknown to it."""
    console.print(f"release ledger {ledger.path.resolve()} "
                  "(CONFIDENTIAL: exact counts; keep it with the case data)")
    if ledger.created:
        console.print("[bold yellow]new release ledger[/]: it knows no earlier release. If this data set was "
                      "published from another folder, publish with --ledger pointing at that folder's "
                      "routes-releases.sqlite, or a republication can be compared with the first one")


def cmd_release(args: argparse.Namespace) -> int:
    release = _release(args)
    written = release.to_files(args.output)
    console.print(f"wrote {len(written)} files into {args.output}/ "
                  "(CSV with HXL tags, GeoJSON, manifest.json)")
    return 0


def cmd_map(args: argparse.Namespace) -> int:
    from routes.maps import release_map, save_map

    release = _release(args)
    m = release_map(release, lang=args.lang, offline=args.offline, title=args.title)
    path = save_map(m, args.output, offline=args.offline)
    kind = ", self-contained" if args.offline else ""
    console.print(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB{kind})")
    return 0


def cmd_brief(args: argparse.Namespace) -> int:
    from routes.briefs import release_brief

    release = _release(args, corridors=[args.corridor] if args.corridor != "all" else [])
    brief = release_brief(release, corridor=args.corridor, lang=args.lang, country=args.country)
    path = brief.save(args.output, chromium=args.chromium)
    console.print(f"wrote {path}")
    return 0


DEMO_CORRIDORS = ("andean", "caribbean_darien", "brazil")
DEMO_BRIEFS = ("all", *DEMO_CORRIDORS)  # the sub-sector's brief, then one per corridor


def cmd_demo(args: argparse.Namespace) -> int:
    """Validate the sample, build the network and patterns, write public maps and briefs into ``--out``."""
    from rich.progress import Progress

    from routes._i18n import DEMO
    from routes.briefs import release_brief
    from routes.io import read_services, validate
    from routes.maps import release_map, save_map
    from routes.privacy import DisclosurePolicy
    from routes.publish import Ledger, Release
    from routes.sample import SAMPLE_PEOPLE, SAMPLE_TARGET, write_sample

    data = Path(args.data)
    if not (data / "cases.csv").exists():
        console.print(f"{data} has no sample; generating it")
        write_sample(data)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    policy = DisclosurePolicy.public()
    ledger = Ledger(args.ledger)  # the working folder's, not the output folder's: see --ledger
    written: list[Path] = []
    steps = 5 + 2 * len(DEMO_BRIEFS) * 2
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task("validating the sample", total=steps)
        report = validate(data / "cases.csv", events=data / "events.csv")
        services = read_services(data / "services.csv")
        progress.update(task, advance=1, description="building the route network")
        net = _network(report.cases, report.events)
        progress.update(task, advance=1, description="clustering modus operandi and profiles")
        model = _patterns(report.cases, report.events)
        progress.update(task, advance=1, description="building and attacking the release")
        release = Release.build(report.cases, report.events, policy=policy, patterns=_estimator(),
                                services=services, corridors=DEMO_CORRIDORS, target=SAMPLE_TARGET,
                                assisted=SAMPLE_PEOPLE,
                                dataset="sample", source="routes synthetic sample (seed 2022)",
                                ledger=ledger)
        progress.update(task, advance=1, description="drawing the route maps")
        for lang in ("es", "en"):
            m = release_map(release, lang=lang, offline=True, title=DEMO.text("map_title", lang))
            written.append(save_map(m, out / f"route_map_{lang}.html", offline=True))
        brief_langs: tuple[Lang, ...] = ("es", "en")
        for corridor in DEMO_BRIEFS:
            for lang in brief_langs:
                progress.update(task, description=f"writing the {corridor} brief ({lang})")
                brief = release_brief(release, corridor=corridor, lang=lang)
                for suffix in ("html", "pdf"):
                    written.append(brief.save(out / f"brief_{corridor}_{lang}.{suffix}",
                                              chromium=args.chromium))
                    progress.update(task, advance=1)
        written += release.to_files(out / "release")

    console.print(_table("Validation", report.summary().reset_index()))
    console.print(net.summary())
    console.print(_table("Patterns", _profiles_table(model, "en")))
    console.print(f"{release.stamp()}; {release.audit.summary()}")
    _say_ledger(ledger)
    files = pd.DataFrame({"file": [str(p) for p in written],
                          "size_kB": [round(p.stat().st_size / 1e3) for p in written]})
    console.print(_table("Public products written (k = 11, rounded to 5, reported cases, not prevalence)",
                         files, max_rows=len(files)))
    return 0


EXAMPLES = """\
examples:
  routes demo                                     the whole job on the bundled synthetic sample
  routes validate cases.xlsx --sheet Casos        check an export; rejected rows go to cases.rejected.csv
  routes mapping suggest export.csv -o map.yaml   a starting mapping for headers the standard does not know
  routes validate ctdc.csv --preset ctdc          CTDC's files with no hand mapping
  routes map cases.csv --events events.csv -o map.html
  routes brief cases.csv --events events.csv --corridor andean --lang en --period 2023Q2 -o brief.pdf
  routes release cases.csv --events events.csv --period 2023 -o release/

Public products follow docs/data-responsibility.md: only consenting people, counts under k withheld,
one release per publication recorded in routes-releases.sqlite. `routes COMMAND --help` for options.
"""


def _sheet_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--sheet", help="worksheet (XLSX) or layer (GeoPackage) of the cases file "
                                   "(default: one named cases/casos, else the first)")
    p.add_argument("--events-sheet", help="worksheet or layer of the events file "
                                          "(default: one named events/eventos, else the first)")


def _preset_option(p: argparse.ArgumentParser) -> None:
    # routes.io.PRESETS, spelt out so that `routes --help` does not import the readers
    p.add_argument("--preset", choices=("ctdc", "htcds"),
                   help="mapping preset for a sector export, under --mapping; its assumptions are printed")


def _chromium_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--chromium", help="browser that prints PDF briefs (default: $ROUTES_CHROMIUM, then "
                                      "chromium, google-chrome, ... on the PATH, then Playwright's own)")


def build_parser() -> argparse.ArgumentParser:
    from routes import __version__

    parser = argparse.ArgumentParser(
        prog="routes",
        description="Diagnostics of human-trafficking and migrant-smuggling routes.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"routes {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("demo", help="run the whole job on the bundled synthetic sample")
    p.add_argument("--data", default="data/sample", help="sample folder (generated when missing)")
    p.add_argument("--out", default="maps", help="where the public maps and briefs go")
    p.add_argument("--ledger", help="release ledger (default: $ROUTES_LEDGER, else routes-releases.sqlite "
                   "here: one ledger whatever the output folder, so a republication is one publication)")
    _chromium_option(p)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("validate", help="read and validate a case export; write rejected rows with reasons")
    p.add_argument("file", help="cases file (CSV, XLSX, GeoJSON, GeoPackage, GeoParquet, HXL)")
    p.add_argument("--events", help="events file (one row a step)")
    p.add_argument("--mapping", help="column/value mapping (YAML)")
    _preset_option(p)
    p.add_argument("--rejected", help="where to write rejected rows (CSV)")
    _sheet_options(p)
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("mapping", help="mappings for exports the standard does not know")
    mapping_sub = p.add_subparsers(dest="mapping_command", required=True)
    p = mapping_sub.add_parser("suggest", help="print a starting YAML mapping from a file's headers and "
                                               "values")
    p.add_argument("file", help="cases or events file (CSV, XLSX, GeoJSON, GeoPackage, GeoParquet, HXL)")
    p.add_argument("-o", "--output", help="YAML file to write (default: print)")
    p.add_argument("--sheet", help="worksheet (XLSX) or layer (GeoPackage)")
    p.add_argument("--form", help="the XLSForm a KoboToolbox/ODK export was collected with: its questions "
                                  "and choices place the columns and values")
    p.set_defaults(func=cmd_mapping_suggest)

    p = sub.add_parser("sample", help="write the synthetic sample data set")
    p.add_argument("--out", default="data/sample", help="output folder")
    p.add_argument("--seed", type=int, default=2022)
    p.add_argument("--people", type=int, default=1969)
    p.set_defaults(func=cmd_sample)

    def inputs(p: argparse.ArgumentParser, *, events: bool = True) -> None:
        p.add_argument("cases", help="cases file (CSV, XLSX, GeoJSON, GeoPackage, GeoParquet, HXL)")
        p.add_argument("--events", required=events, help="events file (one row a step)")
        p.add_argument("--mapping", help="column/value mapping (YAML)")
        _preset_option(p)
        _sheet_options(p)

    def publishing(p: argparse.ArgumentParser) -> None:
        p.add_argument("--lang", choices=["es", "en"], default="es")
        p.add_argument("--services", help="service points file")
        p.add_argument("--k", type=_count_option(5, "an integer of at least 5"),
                       help="minimum published count (default 11; never below 5)")
        p.add_argument("--internal", action="store_true", help="internal audience: CONFIDENTIAL detail")
        p.add_argument("--formal", action="store_true",
                       help="formal privacy: differential privacy with Gaussian noise (OpenDP); see "
                            "docs/data-responsibility.md for when to choose it")
        p.add_argument("--epsilon", type=float, default=5.0,
                       help="with --formal: ε of this release (default 5; δ = 1e-6)")
        p.add_argument("--budget", type=float, default=10.0,
                       help="with --formal: total ε of every release of the data set in the ledger "
                            "(default 10)")
        p.add_argument("--period", help="grid period: 2023, 2023Q2, 2023-05 or 2022/2023 "
                                        "(default: the data's whole years)")
        p.add_argument("--dataset", help="name of the data set in the release ledger "
                                         "(default: the file name)")
        p.add_argument("--policy", choices=["public", "internal", "formal", "public-source"],
                       help="disclosure policy (default public; --internal and --formal are shortcuts); "
                            "public-source: data its source already published (a public incident data "
                            "set), counted as published, people affected per record, with --source")
        p.add_argument("--source", help="source printed on every product (default: the file name)")
        p.add_argument("--licence", help="with --policy public-source: the source's licence, printed "
                                         "beside it")
        p.add_argument("--ledger", help="release ledger (default: routes-releases.sqlite here)")
        p.add_argument("--revise", action="store_true",
                       help="publish a revision of a period already published (cells change only when k "
                            "or more people changed)")

    p = sub.add_parser("network", help="build the route network; print chokepoints and riskiest segments")
    inputs(p)
    p.add_argument("-o", "--output", help="GeoPackage to write (layers places, segments)")
    p.add_argument("--top", type=_count_option(1, "a positive integer"), default=10)
    p.add_argument("--records", help="large record set to count on the network (CSV/Parquet file, folder or "
                                     "glob), read in chunks; see docs/scale.md")
    p.add_argument("--workers", type=int, help="with --records: a local Dask cluster of N worker processes")
    p.add_argument("--scheduler", help="with --records: a Dask scheduler address, e.g. tcp://host:8786")
    p.add_argument("--counts-out", default="counts", help="with --records: folder for the count tables")
    p.set_defaults(func=cmd_network)

    p = sub.add_parser("patterns", help="cluster cases by modus operandi and profile")
    inputs(p, events=False)
    p.add_argument("-o", "--output", help="CSV with one row per case and its cluster")
    p.add_argument("--features", default="both", choices=["modus_operandi", "profile", "both"])
    p.add_argument("--method", default="latent_class",
                   choices=["latent_class", "onehot_kmeans", "hdbscan", "agglomerative", "kmodes"],
                   help="latent_class (default) chose the planted patterns best on unseen samples; "
                        "kmodes: the old name of onehot_kmeans, deprecated (removed in 0.3)")
    p.add_argument("--lang", choices=["es", "en"], default="en")
    p.set_defaults(func=cmd_patterns)

    p = sub.add_parser("map", help="write a route map (HTML) that passes the disclosure policy")
    inputs(p)
    publishing(p)
    p.add_argument("-o", "--output", required=True, help="HTML file to write")
    p.add_argument("--online", dest="offline", action="store_false",
                   help="load tiles and scripts from the network (default: self-contained, offline)")
    p.add_argument("--offline", dest="offline", action="store_true", help="self-contained page (the default)")
    p.add_argument("--title")
    p.set_defaults(func=cmd_map)

    p = sub.add_parser("release", help="write the public data export of one protected release (CSV + HXL, "
                                       "GeoJSON, manifest)")
    inputs(p)
    publishing(p)
    p.add_argument("--target", type=_count_option(1, "a positive number of people"),
                   help="people the response planned to reach")
    p.add_argument("--assisted", type=_count_option(1, "a positive number of people"),
                   help="people assisted in the period as the programme reports them (5W), printed as given")
    p.add_argument("-o", "--output", required=True, help="folder to write")
    p.set_defaults(func=cmd_release)

    p = sub.add_parser("brief", help="write a route brief (HTML or PDF) for one corridor")
    inputs(p)
    publishing(p)
    p.add_argument("--corridor", default="all", help="andean, caribbean_darien, brazil, ... or all")
    p.add_argument("--target", type=_count_option(1, "a positive number of people"),
                   help="people the response planned to reach")
    p.add_argument("--assisted", type=_count_option(1, "a positive number of people"),
                   help="people assisted in the period as the programme reports them (5W), printed as given")
    p.add_argument("--country", type=_country_option, default="COL",
                   help="the sub-sector's country (ISO code or name; default COL): actions at places "
                        "elsewhere become cross-border coordination")
    p.add_argument("-o", "--output", required=True, help="brief.pdf or brief.html")
    _chromium_option(p)
    p.set_defaults(func=cmd_brief)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``routes`` console script."""
    from routes.errors import RoutesError

    args = build_parser().parse_args(argv)
    try:
        output = getattr(args, "output", None)
        if output:  # before any work: a folder that does not exist yet is made, one that cannot be fails now
            _check_writable(Path(output) if args.func is cmd_release else Path(output).parent)
        suffixes = {cmd_brief: (".html", ".htm", ".pdf"), cmd_map: (".html", ".htm")}.get(args.func)
        if suffixes and output is not None and Path(output).suffix.lower() not in suffixes:
            from routes.errors import ParameterError

            raise ParameterError(f"-o {output}: expected a {' or '.join(suffixes)} file")
        if str(output or "").lower().endswith(".pdf") or args.func is cmd_demo:
            from routes._browser import find_chromium, require_playwright

            find_chromium(args.chromium)  # a PDF needs a browser and its driver: say so before the work
            require_playwright()
        if args.func in (cmd_demo, cmd_brief) or (args.func is cmd_map and args.offline):
            from routes._assets import verify_assets

            verify_assets()  # offline maps and brief maps draw the vendored files: missing ones fail now
        return int(args.func(args) or 0)
    except RoutesError as exc:
        # as written ("route-diagnostics[pdf]") and on one line however narrow the terminal: greppable
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
        return 2
    except OSError as exc:
        where = exc.filename or getattr(args, "output", "") or ""
        what = escape(f"{where}: {exc.strerror or exc}")
        err_console.print(f"[bold red]error:[/] cannot write or read {what}")
        return 2
    except KeyboardInterrupt:
        err_console.print("interrupted; nothing more was written")
        return 130
    except Exception as exc:  # a bug of ours: say so in one line, the traceback only on request
        if os.environ.get("ROUTES_DEBUG"):
            raise
        what = escape(f"{type(exc).__name__}: {exc}")
        err_console.print(f"[bold red]internal error[/] ({what}). This is a bug in "
                          "routes, not in your data: please report it with the command you ran; "
                          "ROUTES_DEBUG=1 shows the traceback")
        return 3


def _check_writable(folder: Path) -> None:
    """Make ``folder`` and write a probe file in it, so a path that cannot be written fails first."""
    import tempfile

    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".routes-probe-"):
            pass
    except OSError as exc:
        raise OSError(exc.errno, f"{exc.strerror} (the folder cannot be written)", str(folder)) from None


def _country_option(text: str) -> str:
    """An argparse type: a country as ISO 3166-1 alpha-3, else a usage error saying so."""
    from routes.errors import ParameterError
    from routes.places import country_code

    try:
        return country_code(text)
    except ParameterError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _count_option(low: int, what: str) -> Callable[[str], int]:
    """An argparse type: an integer of at least ``low``, else a usage error saying so."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: expected {what}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"{text}: expected {what}")
        return value

    return parse


if __name__ == "__main__":
    sys.exit(main())
