"""Each rule docs/bahasa-sop.md states where it once disagreed with the engine (issue 13 (a)–(g)):
one test per rule, each failing if the engine behaved otherwise or the guide said otherwise."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from engine.domain.definitions import data_dir, lint_definition
from engine.domain.definitions.expr import compile_guard
from engine.domain.guard_context import Facts, guard_context
from engine.domain.policy import missing_requirements
from engine.errors import DefinitionError
from engine.services import Services
from engine.services.organisation import load_org
from tests.helpers import start_kas
from tests.unit.test_docs_examples import BASE, DOC, _load

GUIDE = " ".join(DOC.read_text(encoding="utf-8").split())
ROOT = Path(__file__).resolve().parents[2]


def _with(**changes: Any) -> dict[str, Any]:
    base = copy.deepcopy(BASE)
    for key, value in changes.items():
        base[key] = value
    return base


# (a) `required` is a rule, not a note ---------------------------------------------------------------


def test_a_required_field_must_be_filled_to_submit_from_the_first_step_and_only_then() -> None:
    assert "`true`: isian wajib terisi saat kasus **diajukan dari state awal**" in GUIDE
    assert "saat ini hanya keterangan" not in GUIDE
    fields = copy.deepcopy(BASE["fields"])
    fields["keperluan"]["required"] = True
    d = _load(_with(fields=fields), "required").as_written
    submit, approve = d.actions[0], d.actions[1]
    missing = missing_requirements(d, submit, {}, set(), None)
    assert [(p.label, p.message) for p in missing] == [("Keperluan", "wajib diisi")]
    assert missing_requirements(d, submit, {"keperluan": "Tenda"}, set(), None) == []
    assert missing_requirements(d, approve, {}, set(), None) == []  # a later step asks with `requires`


# (b) a setting of the wrong type is refused at import, with file:line ------------------------------


def _org(tmp_path: Path, settings: str) -> Path:
    path = tmp_path / "organisasi.yaml"
    path.write_text("cooperatives:\n  - slug: kkmp-sentanan\n    name: Koperasi Kelurahan Merah Putih Sentanan\n"
                    f"    settings:\n      batas_ketua: 5000000\n      {settings}\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(("setting", "words"), [
    ('kuorum_pengawas: "2"', "kuorum_pengawas: harus bilangan bulat tanpa tanda kutip"),
    ("kuorum_pengawas: 0", "kuorum_pengawas: kuorum minimal 1"),
    ("batas_manajer: '500000'", "batas_manajer: harus bilangan bulat tanpa tanda kutip"),
])
def test_a_quoted_or_impossible_quorum_is_refused_by_the_import_naming_its_line(
        services: Services, tmp_path: Path, setting: str, words: str) -> None:
    with pytest.raises(DefinitionError) as info:
        services.import_org(_org(tmp_path, setting))
    [problem] = info.value.problems
    assert (problem.file, problem.line) == (str(tmp_path / "organisasi.yaml"), 6)
    assert words in problem.message
    assert "Angka bertanda kutip ditolak impor dengan baris berkasnya" in GUIDE


def test_a_setting_of_the_right_type_imports(services: Services, tmp_path: Path) -> None:
    services.import_org(_org(tmp_path, "kuorum_pengawas: 3"))


# (c) seat limits are enforced ------------------------------------------------------------------------


def test_two_holders_of_a_single_seat_at_once_are_refused_and_a_same_day_handover_is_not(tmp_path: Path) -> None:
    assert "Impor organisasi tidak membatasi jumlah pemegang jabatan" not in GUIDE
    assert "**Kursi ditegakkan.**" in GUIDE
    path = tmp_path / "organisasi.yaml"
    terms = ("      - {person: ani, role: ketua, start: 2025-01-01, end: 2026-06-30}\n"
             "      - {person: budi, role: ketua, start: 2026-06-30}\n")
    path.write_text("people: [{username: ani, name: Ani}, {username: budi, name: Budi}]\ncooperatives:\n"
                    "  - slug: kkmp-x\n    name: KKMP X\n    roles:\n" + terms, encoding="utf-8")
    with pytest.raises(DefinitionError) as info:
        load_org(path)
    [problem] = info.value.problems
    assert problem.line == 7 and "Ketua Pengurus hanya 1 kursi" in problem.message
    path.write_text(path.read_text(encoding="utf-8").replace("start: 2026-06-30}", "start: 2026-07-01}"),
                    encoding="utf-8")
    load_org(path)  # the old term ends the day before: a handover


# (d) exit 70 tells truly whether something was saved --------------------------------------------------


def test_what_the_guide_says_of_exit_70_is_what_the_engine_says(services: Services, files) -> None:
    from engine.services.outcomes import begin_run, saved_sentence

    begin_run()
    nothing = saved_sentence()
    assert nothing == "Tidak ada perubahan yang disimpan." and f'"{nothing}"' in GUIDE
    start_kas(services, 100_000, files("nota.pdf"))
    saved = saved_sentence()
    assert saved.startswith("Perubahan SUDAH tersimpan sebelum galat ini terjadi; periksa hasilnya")
    assert '"Perubahan SUDAH tersimpan sebelum galat ini terjadi; periksa hasilnya …"' in GUIDE


# (e) the syntax date checks need ------------------------------------------------------------------------


def _lint_when(when: str) -> list[str]:
    actions = copy.deepcopy(BASE["actions"])
    actions[1]["when"] = when
    return [p.message for p in lint_definition(_load(_with(actions=actions), "when"))]


@pytest.mark.parametrize("when", ["(tanggal_rat[:4] | int) - (tanggal_masuk[:4] | int) >= 1",
                                  "(jumlah if jenis == 'Baru' else 0) > settings.batas_ketua"])
def test_slicing_and_if_else_are_refused_as_the_guide_says(when: str) -> None:
    [problem] = _lint_when(when)
    assert "tidak dapat diungkapkan dalam kata-kata" in problem
    assert "potongan (`[…]`) dan `… if … else …` ditolak `workflows check`" in GUIDE


def test_a_negative_count_of_days_is_refused_until_it_can_be_printed_as_the_guide_says() -> None:
    [problem] = _lint_when("add_days(tanggal_rat, -7) >= today")
    assert "tidak dapat diungkapkan dalam kata-kata" in problem
    assert "bilangan negatif (`add_days(tanggal_rat, -7)`) saat ini ditolak `workflows check`" in GUIDE


def test_int_filter_is_accepted_and_date_functions_count_whole_months_and_days() -> None:
    assert _lint_when("(suara_setuju | int) > 0") == []
    assert _lint_when("tanggal_rapat >= '2027-01-01'") == []  # a date against ISO text, as older procedures do
    assert _lint_when("months_between(tanggal_masuk, tanggal_rat) >= settings.masa_keanggotaan_calon") == []
    d = _load(BASE, "dates").as_written
    rule = compile_guard("months_between(tanggal_masuk, tanggal_rat) >= settings.masa_keanggotaan_calon")

    def holds(joined: str) -> bool:
        data = {"tanggal_masuk": joined, "tanggal_rat": "2027-03-20"}
        return rule(guard_context(d, data, {"masa_keanggotaan_calon": 12}, Facts(today=date(2027, 3, 20))))

    assert holds("2026-03-20") and holds("2026-03-19")  # twelve months to the day, and one day more
    assert not holds("2026-03-21")  # a day short of twelve months
    week = compile_guard("add_days(tanggal_undangan, 7) <= tanggal_rat and tanggal_rat >= today")
    context = guard_context(d, {"tanggal_undangan": "2027-03-13", "tanggal_rat": "2027-03-20"}, {},
                            Facts(today=date(2027, 3, 1)))
    assert week(context)


# (f) repeating --workflows combines folders -----------------------------------------------------------------


def test_repeating_workflows_loads_every_folder(tmp_path: Path) -> None:
    assert "`--workflows` boleh diulang" in GUIDE
    own = tmp_path / "prosedur"
    own.mkdir()
    text = DOC.read_text(encoding="utf-8")
    start = text.index("# yaml-language-server: $schema=tatakelola-workflow.schema.json\nid: inventaris_keluar")
    (own / "inventaris_keluar.yaml").write_text(text[start:text.index("```", start)], encoding="utf-8")
    shipped = len(list(data_dir("workflows").glob("*.yaml")))
    env = {k: v for k, v in os.environ.items() if k != "TATAKELOLA_WORKFLOWS"}
    result = subprocess.run([sys.executable, "-m", "engine", "--workflows", str(data_dir("workflows")),
                             "--workflows", str(own), "workflows", "check"],
                            capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Bersih: {shipped + 1} berkas prosedur diperiksa." in result.stdout


# (g) the printed SOP holds every rule the engine applies ----------------------------------------------------


def test_the_sop_prints_not_by_single_exit_guards_rules_not_roles_and_effects_in_words() -> None:
    from engine.services.documents.sop import sop_view

    assert "halaman **Ketentuan Pelaksanaan**" in GUIDE
    actions = copy.deepcopy(BASE["actions"])
    actions[1].update({"when": "jumlah <= settings.batas_ketua", "not_by": ["ajukan"]})  # one way out, guarded
    actions.append({"id": "sahkan", "kind": "approve", "from": "menunggu_ketua", "to": "selesai",
                    "roles": ["pimpinan_rapat"], "when": "jumlah > settings.batas_ketua",
                    "not_roles": ["pengawas"],
                    "rules": [{"for_each": "calon", "check": "'pengawas' not in anggota.peran",
                               "message": "Calon {{ nomor }} sedang menjabat pengawas."}],
                    "effects": [{"install": {"rows": "hasil", "person": "anggota", "role": "jabatan",
                                             "start": "tanggal_mulai", "end": "tanggal_akhir"}},
                                {"appoint": {"role": "panitia_pemilihan", "people": "panitia.anggota"}}]})
    loaded = _load(_with(actions=actions), "sop")
    view = sop_view(None, loaded, None)
    by_action = {row.action.split(" →")[0]: " ".join(row.rules) for row in view.rules}
    putuskan = by_action["Putuskan"]
    assert "Hanya bila jumlah paling banyak Rp 5.000.000." in putuskan
    assert "tidak boleh diambil oleh orang yang sudah mengambil “Ajukan”" in putuskan
    assert "pembuat kasus, yang mengajukan atau memverifikasinya" in putuskan
    sahkan = by_action["Sahkan"]
    assert "Tidak boleh diambil oleh pemegang jabatan Pengawas pada hari itu." in sahkan
    assert "Setiap baris Calon pengurus: calon tidak memegang jabatan Pengawas" in sahkan
    assert "“Calon [nomor baris] sedang menjabat pengawas.”" in sahkan and "{{" not in sahkan
    assert "Terpilih dalam Hasil pemilihan memegang jabatan" in sahkan and "mulai Tanggal mulai masa jabatan" in sahkan
    assert "Anggota panitia dalam Panitia pemilihan diangkat sebagai Panitia Pemilihan" in sahkan
    assert "settings." not in str(view.rules) and "not_by" not in str(view.rules)
    for template in ("sop.html", "buku_sop.html"):
        assert "{{ rules(s) }}" in (ROOT / "sop_templates" / template).read_text(encoding="utf-8")


# The lint findings the guide lists for the new parts of the language ----------------------------------------


def _action(**extra: Any) -> dict[str, Any]:
    return {"id": "tetapkan_calon", "kind": "verify", "from": "menunggu_ketua", "to": "selesai",
            "roles": ["sekretaris"], "when": "jumlah > settings.batas_ketua", **extra}


def _guarded_base() -> dict[str, Any]:
    base = copy.deepcopy(BASE)
    base["actions"][1]["when"] = "jumlah <= settings.batas_ketua"
    return base


def _declared_ketua(base: dict[str, Any]) -> None:
    base["id"] = "contoh_peran_katalog"  # a conflicting declaration is remembered by procedure id
    base["declared_roles"]["ketua"] = {"label": "Ketua lain"}


def _not_roles_in_roles(base: dict[str, Any]) -> None:
    base["actions"].append({"id": "daftarkan_calon", "kind": "submit", "from": "draf", "to": "menunggu_ketua",
                            "roles": ["pengawas"], "not_roles": ["pengawas"]})


def _unknown_of(base: dict[str, Any]) -> None:
    base["fields"]["calon_ketua"]["of"] = "calon"


def _relative_to_money(base: dict[str, Any]) -> None:
    base["states"]["menunggu_ketua"]["deadline"] = "7 hari sebelum jumlah"
    base["fields"]["tanggal_rat"] = {"type": "money", "label": "Bukan tanggal"}
    base["states"]["menunggu_ketua"]["deadline"] = "7 hari sebelum tanggal_rat"


def _unknown_column(base: dict[str, Any]) -> None:
    base["actions"].append(_action(when='count(calon, "umur > 17") > 0 and jumlah > settings.batas_ketua'))


def _rule(**rule: Any) -> Any:
    def change(base: dict[str, Any]) -> None:
        base["actions"].append(_action(rules=[{"check": "jumlah > 0", "message": "Jumlah kosong.", **rule}]))
    return change


def _second_rule_unknown_field(base: dict[str, Any]) -> None:
    base["actions"].append(_action(rules=[{"check": "jumlah > 0", "message": "Jumlah kosong."},
                                          {"check": "umur > 17", "message": "Terlalu muda."}]))


def _appoint_ketua(base: dict[str, Any]) -> None:
    base["actions"].append({"id": "bentuk_panitia", "kind": "approve", "from": "menunggu_ketua", "to": "selesai",
                            "roles": ["pengawas"], "when": "jumlah > settings.batas_ketua",
                            "effects": [{"appoint": {"role": "ketua", "people": "calon_ketua"}}]})


def _install_label_options(base: dict[str, Any]) -> None:
    base["fields"]["hasil"]["columns"]["jabatan"]["options"] = ["Ketua", "Bendahara"]
    base["actions"].append({"id": "sahkan_hasil", "kind": "approve", "from": "menunggu_ketua", "to": "selesai",
                            "roles": ["pimpinan_rapat"], "when": "jumlah > settings.batas_ketua",
                            "effects": [{"install": {"rows": "hasil", "person": "anggota", "role": "jabatan",
                                                     "start": "tanggal_mulai"}}]})


@pytest.mark.parametrize(("change", "documented"), [
    (_declared_ketua, "peran 'ketua' sudah ada di katalog peran; pakai kode lain untuk peran baru"),
    (_not_roles_in_roles, "aksi 'daftarkan_calon': not_roles: peran 'pengawas' juga ada di roles aksi ini; "
                          "tidak ada yang dapat mengambilnya"),
    (_unknown_of, "field 'calon_ketua': peran 'calon' tidak dikenal"),
    (_relative_to_money, "tenggat dihitung dari 'tanggal_rat', yang bukan field bertipe date"),
    (_unknown_column, "aksi 'tetapkan_calon': syarat baris 'calon' menyebut kolom 'umur' yang tidak ada"),
    (_second_rule_unknown_field, "aksi 'tetapkan_calon': aturan 2: syarat menyebut field 'umur' yang tidak ada"),
    (_rule(for_each="calon_ketua"), "aksi 'tetapkan_calon': aturan 1: for_each 'calon_ketua' bukan field bertipe list"),
    (_rule(message="Umur {{ umur }}."), "aksi 'tetapkan_calon': aturan 1: pesan menyebut 'umur' yang tidak ada"),
    (_appoint_ketua, "aksi 'bentuk_panitia': efek 1: 'ketua' adalah jabatan organ koperasi; pakai install untuk "
                     "masa jabatannya"),
    (_install_label_options, "aksi 'sahkan_hasil': efek 1: pilihan 'Ketua' pada kolom 'jabatan' bukan nama atau kode peran"),
], ids=lambda x: getattr(x, "__name__", "")[:40])
def test_every_new_lint_finding_the_guide_lists_is_what_lint_says(change: Any, documented: str) -> None:
    assert f"`{documented}`" in GUIDE.replace("` `", "")
    base = _guarded_base()
    change(base)
    messages = [p.message for p in lint_definition(_load(base, "lint"))]
    assert documented in messages, messages


# The guide's whole example of the new language runs, refusal by refusal ------------------------------------


def _guide_procedure(workflow_id: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    at = text.index(f"\nid: {workflow_id}\n")
    start = text.rindex("```yaml\n", 0, at) + len("```yaml\n")
    return text[start:text.index("```", at)]


def test_the_guides_election_example_runs_end_to_end_with_every_refusal_in_words(
        db_url: str, tmp_path: Path, clock: Any) -> None:
    from sqlalchemy import create_engine, text

    from engine.adapters.store.db import normalise_url
    from engine.demo import DEMO_MEMBERS, DEMO_ORG
    from engine.errors import TatakelolaError
    from engine.settings import Settings

    own = tmp_path / "prosedur"
    own.mkdir()
    (own / "pemilihan_ringkas.yaml").write_text(_guide_procedure("pemilihan_ringkas"), encoding="utf-8")
    settings = Settings(db_url=db_url, key_path=tmp_path / "signing.key", workflow_dirs=(data_dir("workflows"), own))
    services = Services(settings, clock=clock)
    services.init()
    for org in (DEMO_ORG, DEMO_MEMBERS):
        services.import_org(org)
    extra = tmp_path / "tambahan.yaml"
    extra.write_text("people: [{username: tono, name: Tono Wibowo}, {username: wati, name: Wati Rahayu}]\n"
                     "cooperatives:\n  - slug: kkmp-sentanan\n    name: Koperasi Kelurahan Merah Putih Sentanan\n"
                     "    roles:\n      - {person: tono, role: anggota, start: 2025-08-01}\n"
                     "      - {person: wati, role: anggota, start: 2026-10-01}\n", encoding="utf-8")
    services.import_org(extra)

    def refused(action: str, who: str, number: str, **values: str) -> str:
        with pytest.raises(TatakelolaError) as info:
            services.act(number, action, who, values=values)
        return str(info.value)

    def rows(*cells: tuple[str, str], key: str = "anggota", other: str = "jabatan") -> str:
        import json
        return json.dumps([{key: a, other: b} if b else {key: a} for a, b in cells])

    number = services.start_case("pemilihan_ringkas", "kkmp-sentanan", "rina", values={
        "tanggal_rat": "2026-12-20", "panitia": rows(("siti", ""), ("bambang", ""), ("tono", ""))}).summary.number
    assert "Panitia 2 (Bambang Sutrisno) sedang menjabat pengurus." in refused("ajukan", "rina", number)
    services.act(number, "ajukan", "rina", values={"panitia": rows(("siti", ""), ("lilik", ""), ("tono", ""))})
    assert "tidak dapat menyetujui sendiri" in refused("sahkan_panitia", "rina", number)  # maker-checker
    services.act(number, "sahkan_panitia", "bambang")
    message = refused("tetapkan_calon", "siti", number, calon=rows(
        ("rina", "Ketua Pengurus"), ("wati", "Sekretaris"), ("lilik", "Bendahara")))
    assert "Calon 2 (Wati Rahayu) belum 12 bulan menjadi anggota pada 20 Desember 2026." in message
    assert "Calon 3 (Lilik Suryani) duduk di panitia pemilihan." in message
    services.act(number, "tetapkan_calon", "siti", values={"calon": rows(
        ("rina", "Ketua Pengurus"), ("bambang", "Sekretaris"), ("sri", "Bendahara"))})
    register = [line.split("number: ")[1].split(",")[0] for line in DEMO_MEMBERS.read_text(encoding="utf-8").splitlines()
                if "number: " in line]
    result = {"hasil": rows(("rina", "Ketua Pengurus"), ("bambang", "Sekretaris"), ("sri", "Bendahara"),
                            key="terpilih"),
              "tanggal_mulai": "2026-12-21", "tanggal_akhir": "2031-12-20"}
    half = len(register) // 2  # "more than half": exactly half is refused
    assert "Kuorum RAT tidak tercapai" in refused("catat_hasil", "lilik", number,
                                                  daftar_hadir=",".join(register[:half]), **result)
    services.act(number, "catat_hasil", "lilik", values={"daftar_hadir": ",".join(register[:half + 1]), **result})
    assert "Pimpinan Rapat Anggota" in refused("sahkan_hasil", "siti", number)
    services.act(number, "sahkan_hasil", "joko")
    db = create_engine(normalise_url(db_url))
    with db.connect() as conn:
        terms = conn.execute(text(
            "select p.username, r.role, r.starts_on, r.ends_on from role_assignments r join people p on "
            "p.id = r.person_id join cooperatives c on c.id = r.coop_id where c.slug = 'kkmp-sentanan' and "
            "r.role in ('ketua', 'sekretaris', 'bendahara') order by r.role, r.starts_on")).all()
    db.dispose()
    services.db.dispose()
    held = {(u, r, str(s), str(e)) for u, r, s, e in terms}
    assert ("rina", "ketua", "2026-12-21", "2031-12-20") in held
    assert ("bambang", "ketua", "2025-07-01", "2026-12-20") in held  # the old ketua hands over the day before
    assert ("bambang", "sekretaris", "2026-12-21", "2031-12-20") in held


def test_a_declared_role_takes_terms_in_the_organisation_file(services: Services, tmp_path: Path) -> None:
    assert "berkas organisasi (masa jabatan)" in GUIDE
    path = tmp_path / "organisasi.yaml"
    path.write_text("people: [{username: siti, name: Siti Maemunah}]\ncooperatives:\n"
                    "  - slug: kkmp-sentanan\n    name: Koperasi Kelurahan Merah Putih Sentanan\n"
                    "    roles:\n      - {person: siti, role: panitia_pemilihan, start: 2027-01-05, end: 2027-03-31}\n",
                    encoding="utf-8")
    assert services.import_org(path).terms_added == 1
