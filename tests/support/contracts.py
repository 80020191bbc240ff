"""An import-linter contract type the built-in ones lack: an allow-list.

A forbidden contract names what may not be imported and misses whatever it forgot to name; this one
names what may be, so a new dependency of the domain fails CI until someone decides it belongs there.
Registered in pyproject.toml ([tool.importlinter] contract_types) and run by `lint-imports`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from grimp import ImportGraph
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


@dataclass(frozen=True, slots=True)
class _Illegal:
    importer: str
    imported: str
    line_numbers: tuple[int, ...]


class AllowListContract(Contract):
    """The modules of `source_modules` (as packages) import nothing but the standard library, each
    other, and `allowed_modules` (top-level names: packages of ours, or external distributions).

    Configuration options:
        - source_modules:  the packages held to the list.
        - allowed_modules: what they may import besides the standard library and themselves.
    """

    type_name = "allowlist"

    source_modules = fields.ListField(subfield=fields.StringField())
    allowed_modules = fields.ListField(subfield=fields.StringField(), required=False, default=[])

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        sources: list[str] = list(self.source_modules)  # type: ignore[call-overload]
        allowed = set(sys.stdlib_module_names) | set(sources) | set(self.allowed_modules)  # type: ignore[call-overload]
        illegal: list[_Illegal] = []
        for source in sources:
            for importer in sorted({source, *graph.find_descendants(source)}):
                for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                    if imported.split(".")[0] in allowed:
                        continue
                    details = graph.get_import_details(importer=importer, imported=imported)
                    lines = tuple(sorted({detail["line_number"] for detail in details}))
                    illegal.append(_Illegal(importer, imported, lines))
        return ContractCheck(kept=not illegal, metadata={"illegal": illegal})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for item in check.metadata["illegal"]:
            where = ", ".join(f"l.{line}" for line in item.line_numbers)
            output.print_error(f"{item.importer} -> {item.imported} ({where}) is not on the allow-list")
            output.new_line()
