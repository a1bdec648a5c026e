"""SOP-USH-05 Penetapan Harga Jual."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from engine.errors import PermissionDeniedError, ValidationError
from engine.services import Services
from tests.integration.workflows.helpers import Files, act, pdfs, refused, reimport, start, state

WF = "harga_jual"
HPP = 10_000  # margin 5% .. 20% (defaults) -> Rp 10.500 .. Rp 12.000
OBRAL = "Obral barang hampir kedaluwarsa"


def proposal(price: int, **changes: object) -> dict[str, object]:
    return {"nama_barang": "Gula pasir kemasan 1 kg", "satuan": "pcs", "jenis_usulan": "Perubahan harga",
            "hpp": HPP, "harga_jual": price, "harga_lama": 11_500, "barang_bersubsidi": "Tidak",
            "alasan": "Harga beli dari distributor turun", "tanggal_usulan": "2026-11-24",
            "tanggal_berlaku": "2026-11-26", **changes}


def drafted(services: Services, files: Files, price: int, by: str = "fajar", extra_files: tuple[str, ...] = (),
            **changes: object) -> str:
    return start(services, WF, by, proposal(price, **changes), pdfs(files, "perhitungan_hpp", *extra_files))


def submitted(services: Services, files: Files, price: int, by: str = "fajar", **changes: object) -> str:
    number = drafted(services, files, price, by, **changes)
    act(services, number, "ajukan", by)
    return number


def clearance(services: Services, files: Files, price: int = 8_000, days: int = 20) -> str:
    return submitted(services, files, price, jenis_usulan=OBRAL, sisa_hari_kedaluwarsa=days,
                     tanggal_kedaluwarsa="2026-12-14", alasan="Sisa 40 pcs kedaluwarsa 14 Desember")


def announce(services: Services, files: Files, number: str, on: str = "2026-11-25", by: str = "fajar") -> None:
    act(services, number, "umumkan", by, values={"tanggal_diumumkan": on}, files=pdfs(files, "bukti_pengumuman"))


def test_a_price_within_the_margin_band_is_approved_by_the_wakil_and_announced(services: Services, files) -> None:
    number = submitted(services, files, 11_000)
    assert state(services, number) == "pemeriksaan"
    act(services, number, "periksa", "dwi")
    assert state(services, number) == "pengumuman"
    announce(services, files, number)
    view = services.show(number, None)
    assert view.summary.state == "berlaku"
    assert [e.action for e in view.history] == ["mulai", "ajukan", "periksa", "umumkan"]


@pytest.mark.parametrize(("price", "expected"), [
    (10_499, "persetujuan_ketua"), (10_500, "pengumuman"), (10_501, "pengumuman"),
    (11_999, "pengumuman"), (12_000, "pengumuman"), (12_001, "persetujuan_ketua"),
    (HPP, "persetujuan_ketua"),
])
def test_the_margin_band_decides_whether_the_ketua_is_needed(services: Services, files, price: int,
                                                             expected: str) -> None:
    number = submitted(services, files, price)
    act(services, number, "periksa", "dwi")
    assert state(services, number) == expected


def test_a_margin_outside_the_band_is_approved_by_the_ketua_not_by_the_wakil(services: Services, files) -> None:
    number = submitted(services, files, 13_000)
    act(services, number, "periksa", "dwi")
    refused(services, number, "setujui", "dwi", PermissionDeniedError, "hanya untuk Ketua")
    refused(services, number, "setujui", "fajar", PermissionDeniedError, "hanya untuk Ketua")
    act(services, number, "setujui", "bambang")
    assert state(services, number) == "pengumuman"
    announce(services, files, number)
    assert state(services, number) == "berlaku"


def test_the_margin_band_comes_from_the_cooperatives_settings(services: Services, files, tmp_path: Path) -> None:
    reimport(services, tmp_path, settings={"margin_minimal_persen": 10, "margin_maksimal_persen": 15})
    outcome = {}
    for price in (10_999, 11_000, 11_500, 11_501):
        number = submitted(services, files, price)
        act(services, number, "periksa", "dwi")
        outcome[price] = state(services, number)
    assert outcome == {10_999: "persetujuan_ketua", 11_000: "pengumuman", 11_500: "pengumuman",
                       11_501: "persetujuan_ketua"}


def test_a_price_below_hpp_is_refused_for_goods_that_are_not_nearly_expired(services: Services, files) -> None:
    number = drafted(services, files, HPP - 1)
    refused(services, number, "ajukan", "fajar", ValidationError, "tidak terpenuhi")
    number = drafted(services, files, HPP - 1, jenis_usulan="Harga barang baru", sisa_hari_kedaluwarsa=5)
    refused(services, number, "ajukan", "fajar", ValidationError, "tidak terpenuhi")


def test_only_goods_within_the_nearly_expired_window_may_go_below_hpp(services: Services, files) -> None:
    outcome = {}
    for days in (29, 30, 31):
        number = drafted(services, files, 8_000, jenis_usulan=OBRAL, sisa_hari_kedaluwarsa=days)
        with contextlib.suppress(ValidationError):
            act(services, number, "ajukan", "fajar")
        outcome[days] = state(services, number)
    assert outcome == {29: "pemeriksaan", 30: "pemeriksaan", 31: "usulan"}
    number = drafted(services, files, 8_000, jenis_usulan=OBRAL)
    error = refused(services, number, "ajukan", "fajar", ValidationError)
    assert "wajib diisi" in str(error)


def test_a_price_below_hpp_needs_the_quorum_of_pengurus(services: Services, files) -> None:
    number = clearance(services, files)
    act(services, number, "periksa", "dwi")
    assert state(services, number) == "keputusan_pengurus"
    refused(services, number, "setujui_rapat", "dwi", PermissionDeniedError, "sudah memutuskan")  # he checked it
    refused(services, number, "setujui_rapat", "fajar", PermissionDeniedError, "hanya untuk Pengurus")
    assert not act(services, number, "setujui_rapat", "bambang").fired
    assert not act(services, number, "setujui_rapat", "endang").fired
    assert act(services, number, "setujui_rapat", "rina").fired
    assert state(services, number) == "pengumuman"
    announce(services, files, number, on="2026-11-24")
    assert state(services, number) == "berlaku"


def test_the_pengurus_quorum_comes_from_the_settings_and_also_rejects(services: Services, files,
                                                                      tmp_path: Path) -> None:
    reimport(services, tmp_path, settings={"kuorum_keputusan_pengurus": 2})
    number = clearance(services, files)
    act(services, number, "periksa", "dwi")
    assert not act(services, number, "tolak", "bambang", comment="Lebih baik diretur ke pemasok").fired
    assert act(services, number, "tolak", "sri", comment="Lebih baik diretur ke pemasok").fired
    assert state(services, number) == "ditolak"


def test_a_subsidised_item_may_not_exceed_its_het(services: Services, files) -> None:
    subsidised = {"nama_barang": "Minyakita 1 liter", "barang_bersubsidi": "Ya", "hpp": 14_500}
    outcome = {}
    for price in (15_699, 15_700, 15_701):
        number = drafted(services, files, price, extra_files=("dasar_het",), het=15_700, **subsidised)
        with contextlib.suppress(ValidationError):
            act(services, number, "ajukan", "fajar")
        outcome[price] = state(services, number)
    assert outcome == {15_699: "pemeriksaan", 15_700: "pemeriksaan", 15_701: "usulan"}
    without_het = drafted(services, files, 15_000, extra_files=("dasar_het",), **subsidised)
    assert "wajib diisi" in str(refused(services, without_het, "ajukan", "fajar", ValidationError))
    without_basis = drafted(services, files, 15_000, het=15_700, **subsidised)
    refused(services, without_basis, "ajukan", "fajar", ValidationError, "tidak terpenuhi")


def test_the_price_takes_effect_no_earlier_than_proposed_and_is_announced_by_then(services: Services, files) -> None:
    backdated = drafted(services, files, 11_000, tanggal_berlaku="2026-11-23")
    refused(services, backdated, "ajukan", "fajar", ValidationError, "tidak terpenuhi")
    number = submitted(services, files, 11_000)
    act(services, number, "periksa", "dwi")
    refused(services, number, "umumkan", "fajar", ValidationError, "tidak terpenuhi",
            values={"tanggal_diumumkan": "2026-11-27"}, files=pdfs(files, "bukti_pengumuman"))
    announce(services, files, number, on="2026-11-26")
    assert state(services, number) == "berlaku"


def test_returns_rejections_and_a_withdrawn_price(services: Services, files) -> None:
    number = submitted(services, files, 11_000)
    act(services, number, "kembalikan", "dwi", comment="HPP belum memasukkan ongkos angkut")
    assert state(services, number) == "usulan"
    act(services, number, "ajukan", "fajar", values={"hpp": 10_200})
    act(services, number, "tolak", "dwi", comment="Harga di atas toko sekitar")
    assert state(services, number) == "ditolak"

    by_ketua = submitted(services, files, 13_000)
    act(services, by_ketua, "periksa", "dwi")
    act(services, by_ketua, "kembalikan", "bambang", comment="Turunkan margin untuk kebutuhan pokok")
    assert state(services, by_ketua) == "usulan"
    act(services, by_ketua, "ajukan", "fajar", values={"harga_jual": 14_000})
    act(services, by_ketua, "periksa", "dwi")
    act(services, by_ketua, "tolak", "bambang", comment="Margin terlalu besar")
    assert state(services, by_ketua) == "ditolak"

    withdrawn = submitted(services, files, 11_000)
    act(services, withdrawn, "periksa", "dwi")
    refused(services, withdrawn, "batalkan", "dwi", ValidationError, "wajib diisi")  # a reason
    act(services, withdrawn, "batalkan", "dwi", comment="Harga beli naik lagi; usulan baru menyusul")
    assert state(services, withdrawn) == "dibatalkan"


def test_only_the_manajer_proposes_and_the_proposer_never_approves(services: Services, files,
                                                                    tmp_path: Path) -> None:
    with pytest.raises(PermissionDeniedError, match="hanya dapat dimulai oleh"):
        drafted(services, files, 11_000, by="dwi")
    reimport(services, tmp_path, ended={("fajar", "manajer"): "2026-10-31"},
             roles=[{"person": "dwi", "role": "manajer", "start": "2026-11-01"}])
    number = submitted(services, files, 11_000, by="dwi")
    refused(services, number, "periksa", "dwi", PermissionDeniedError, "mengajukan")
    refused(services, number, "periksa", "sri", PermissionDeniedError, "hanya untuk")
    act(services, number, "periksa", "bambang")
    assert state(services, number) == "pengumuman"
