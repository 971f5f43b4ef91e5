"""docs/schema.md documents exactly the contract in bulkdaq/store/contract.py."""

from pathlib import Path

from bulkdaq.store.contract_doc import schema_markdown

REPO = Path(__file__).resolve().parents[3]


def test_schema_doc_is_generated_from_the_contract() -> None:
    assert (REPO / "docs" / "schema.md").read_text(encoding="utf-8") == schema_markdown(), (
        "docs/schema.md is out of date: python -m bulkdaq.store.contract_doc > docs/schema.md"
    )
