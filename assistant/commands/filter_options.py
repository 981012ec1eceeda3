"""The filter flags shared by `search`, `ask` and `matrix`: --symbol, --congress, --region, --kind."""

from __future__ import annotations

from vectorstore.errors import UserError
from vectorstore.filters import Filters
from vectorstore.units import KINDS


def add_filter_arguments(parser, kinds: bool = True,
                         region_help: str = 'only this region (repeatable), e.g. "Europe"') -> None:
    parser.add_argument("--symbol", action="append", default=[], metavar="SYMBOL",
                        help="only this document (repeatable), e.g. A/CONF.241/RPM.2/2")
    parser.add_argument("--congress", action="append", type=int, default=[], metavar="N",
                        help="only reports for this congress (repeatable), e.g. 15")
    parser.add_argument("--region", action="append", default=[], metavar="REGION", help=region_help)
    if kinds:
        parser.add_argument("--kind", action="append", choices=KINDS, default=[],
                            help="only summaries, recommendations or other paragraphs (repeatable)")


def filters_from_args(args) -> Filters:
    return Filters(symbols=tuple(args.symbol), congresses=tuple(args.congress),
                   regions=tuple(args.region), kinds=tuple(getattr(args, "kind", ())))


def check_filters(store, filters: Filters) -> None:
    """Unknown symbols or regions in filters are user mistakes: say what exists."""
    if filters.empty:
        return
    documents = store.documents()
    unknown = [s for s in filters.symbols if s not in {d.symbol for d in documents}]
    if unknown:
        known = ", ".join(d.symbol for d in documents)
        raise UserError(f"unknown --symbol {', '.join(unknown)} (stored documents: {known})")
    regions = {d.region for d in documents}
    unknown = [r for r in filters.regions if r not in regions]
    if unknown:
        raise UserError(f"unknown --region {', '.join(unknown)} "
                        f"(stored regions: {', '.join(sorted(regions))})")
