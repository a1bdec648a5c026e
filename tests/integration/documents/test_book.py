"""The Buku SOP: every procedure of a cooperative with cover, pengesahan and table of contents."""

from __future__ import annotations

import json
import re

from engine.domain.definitions.registry import Registry, data_dir
from engine.services import Services
from tests.helpers import COOP
from tests.integration.documents.conftest import attachments, pdf_text

SOME = ("pengeluaran_kas.yaml", "penerimaan_anggota.yaml", "keputusan_rapat_pengurus.yaml")


def test_the_book_has_a_cover_pengesahan_contents_and_every_procedure(shared: Services) -> None:
    registry = Registry.from_paths([data_dir("workflows") / name for name in SOME])
    services = Services(shared.settings, registry=registry, clock=shared.clock)
    issued = services.documents.book(COOP)
    text = pdf_text(issued.data)
    assert "BUKU" in text and "STANDAR OPERASIONAL PROSEDUR" in text and issued.number.startswith("BUKU-SOP-")
    assert "LEMBAR PENGESAHAN" in text and "menetapkan 3 (tiga)" in text
    assert "Bambang Sutrisno" in text and "Rina Wulandari" in text and "Agus Santoso, S.Sos." in text
    assert "DAFTAR ISI" in text and "PENJELASAN SINGKAT PENGGUNAAN" in text
    for loaded in registry.all():
        d = loaded.definition
        assert d.sop.nomor in text and d.title in text
    contents = text[text.index("DAFTAR ISI"):text.index("PENJELASAN SINGKAT PENGGUNAAN")]
    assert "SOP-KEL-01" in contents and "Lembar Pengesahan" in contents
    page = re.search(r"SOP-KEU-03 Persetujuan Pengeluaran Kas \.+ (\d+)", contents)
    assert page and 4 < int(page.group(1)) <= issued.pages  # the entry points at its page
    manifest = json.loads(attachments(issued.data)["manifest.json"])
    assert sorted(x["ref"] for x in manifest["definitions"]) == sorted(x.definition.ref for x in registry.all())
    assert services.documents.verify(issued.data).ok
