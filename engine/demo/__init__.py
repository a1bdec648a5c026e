"""``tatakelola demo``: a KKMP in Kota Mojokerto with real cases run through the shipped SOPs."""

from __future__ import annotations

import shutil
from pathlib import Path

from rich.console import Console

from engine.errors import ConfigurationError, TatakelolaError
from engine.services import Services
from engine.settings import Settings

__all__ = ["DEMO_CITY", "DEMO_MEMBERS", "DEMO_ORG", "demo_password", "run_demo", "set_demo_passwords"]

DEMO_ORG = Path(__file__).resolve().parent / "kkmp_sentanan.yaml"
#: A second KKMP in the same city and the Dinas officer who follows both.
DEMO_CITY = Path(__file__).resolve().parent / "dinas_mojokerto.yaml"
#: The demo KKMP's Buku Daftar Anggota (an organisation file with members only).
DEMO_MEMBERS = Path(__file__).resolve().parent / "anggota_sentanan.yaml"
COOP = "kkmp-sentanan"
_MARKER = ".tatakelola-demo"


def _pdf(title: str) -> bytes:
    """A tiny valid one-page PDF standing in for a scanned receipt."""
    text = title.replace("(", "[").replace(")", "]")
    stream = f"BT /F1 14 Tf 40 780 Td ({text}) Tj ET".encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    body = b"%PDF-1.4\n"
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(body))
        body += f"{number} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(body)
    body += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    body += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    body += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return body


def _prepare(directory: Path) -> None:
    if directory.exists() and any(directory.iterdir()) and not (directory / _MARKER).exists():
        raise ConfigurationError(
            f"Folder {directory} sudah berisi berkas lain; pilih folder kosong dengan --dir.")
    if (directory / _MARKER).exists():
        shutil.rmtree(directory)
    (directory / "berkas").mkdir(parents=True, exist_ok=True)
    (directory / _MARKER).write_text("Folder demo Tatakelola; boleh dihapus.\n", encoding="utf-8")


def run_demo(directory: Path, out: Console) -> Services:
    """Build the demo database in ``directory`` and print a short guide."""
    _prepare(directory)
    db_file = directory / "tatakelola.db"
    settings = Settings(db_url=f"sqlite:///{db_file}", key_path=directory / "tatakelola-signing.key")
    services = Services(settings)
    services.init()
    services.import_org(DEMO_ORG)
    services.import_org(DEMO_CITY)
    services.import_org(DEMO_MEMBERS)
    files = directory / "berkas"

    def doc(name: str, title: str) -> Path:
        path = files / name
        path.write_bytes(_pdf(title))
        return path

    def step(message: str) -> None:
        out.print(f"  • {message}")

    out.print("[bold]Demo Tatakelola[/] — Koperasi Kelurahan Merah Putih Sentanan, Kota Mojokerto\n")

    # 1. A small purchase: verified by the bendahara within the manajer's limit, then paid.
    kas1 = services.start_case("pengeluaran_kas", COOP, "fajar", values={
        "keperluan": "Pembelian kertas nota dan tinta printer gerai", "jumlah": "Rp 350.000",
        "pos_rapb": "Alat tulis kantor", "penerima": "Toko Sumber Ilmu, Jl. Majapahit"},
        files={"nota": doc("nota-atk.pdf", "Nota ATK Rp 350.000")}).summary.number
    services.act(kas1, "ajukan", "fajar", checks=["nota_terlampir", "pos_sesuai"])
    services.act(kas1, "verifikasi", "sri", checks=["jumlah_sesuai_nota", "saldo_cukup", "pos_tersedia"])
    services.act(kas1, "bayar", "sri", checks=["kuitansi_ditandatangani", "dicatat_bku"],
                 files={"kuitansi": doc("kuitansi-atk.pdf", "Kuitansi ATK")})
    step(f"{kas1}: pengeluaran Rp 350.000 (di bawah batas manajer) — diverifikasi bendahara, dibayar.")

    # 2. Above the manajer's limit: the ketua approves.
    kas2 = services.start_case("pengeluaran_kas", COOP, "fajar", values={
        "keperluan": "Sewa mobil bak untuk distribusi sembako ke 3 RW", "jumlah": "2.750.000",
        "pos_rapb": "Transportasi dan distribusi", "penerima": "CV Lancar Jaya Transport"},
        files={"nota": doc("penawaran-sewa.pdf", "Penawaran sewa mobil")}).summary.number
    services.act(kas2, "ajukan", "fajar", checks=["nota_terlampir", "pos_sesuai"])
    services.act(kas2, "verifikasi", "sri", checks=["jumlah_sesuai_nota", "saldo_cukup", "pos_tersedia"])
    services.act(kas2, "setujui", "bambang", comment="Sesuai rencana distribusi bulan ini.")
    step(f"{kas2}: Rp 2.750.000 — diverifikasi bendahara, disetujui ketua; menunggu pembayaran.")

    # 3. Above the ketua's limit: escalates to the pengawas, decided by 2 of 3 votes.
    kas3 = services.start_case("pengeluaran_kas", COOP, "fajar", values={
        "keperluan": "Pembelian stok beras medium 1,5 ton untuk gerai sembako", "jumlah": "Rp 18.750.000",
        "pos_rapb": "Pembelian barang dagangan sembako", "penerima": "Perum Bulog Cabang Mojokerto"},
        files={"nota": doc("penawaran-beras.pdf", "Penawaran beras Bulog")}).summary.number
    services.act(kas3, "ajukan", "fajar", checks=["nota_terlampir", "pos_sesuai"])
    services.act(kas3, "verifikasi", "sri", checks=["jumlah_sesuai_nota", "saldo_cukup", "pos_tersedia"])
    services.act(kas3, "setujui", "bambang", comment="Stok beras menipis menjelang akhir tahun.")
    services.act(kas3, "setujui_pengawas", "agus", comment="Harga sesuai HET.")
    services.act(kas3, "setujui_pengawas", "heru")
    step(f"{kas3}: Rp 18.750.000 — di atas batas ketua, diteruskan ke pengawas, disetujui 2 dari 3 pengawas.")

    # 4. A rejection by the ketua.
    kas4 = services.start_case("pengeluaran_kas", COOP, "fajar", values={
        "keperluan": "Perjalanan studi banding pengurus ke Batu", "jumlah": "4.200.000",
        "pos_rapb": "Biaya rapat dan RAT", "penerima": "Biro Perjalanan Wisata Arjuna"},
        files={"nota": doc("penawaran-studi.pdf", "Penawaran biro perjalanan")}).summary.number
    services.act(kas4, "ajukan", "fajar", checks=["nota_terlampir", "pos_sesuai"])
    services.act(kas4, "verifikasi", "sri", checks=["jumlah_sesuai_nota", "saldo_cukup", "pos_tersedia"])
    services.act(kas4, "tolak", "bambang", comment="Tidak ada di RAPB; usulkan di Rapat Anggota berikutnya.")
    step(f"{kas4}: Rp 4.200.000 — ditolak ketua karena tidak ada di RAPB.")

    # 5. A new member.
    agt = services.start_case("penerimaan_anggota", COOP, "endang", values={
        "nama": "Suwarni", "nik": "3576014507800003", "alamat": "Jl. Empunala Gg. 3 No. 12",
        "kelurahan_ktp": "Sentanan", "pekerjaan": "Pedagang kue"},
        files={"ktp": doc("ktp-suwarni.pdf", "KTP Suwarni")}).summary.number
    services.act(agt, "ajukan", "endang", checks=["formulir_ditandatangani", "ktp_terlampir"])
    services.act(agt, "periksa", "rina", checks=["ktp_cocok", "domisili_sesuai", "belum_terdaftar"])
    services.act(agt, "terima", "bambang")
    services.act(agt, "catat_simpanan", "sri", values={
        "simpanan_pokok_dibayar": "100.000", "tanggal_bayar": services.today().isoformat(),
        "nomor_anggota": "KKMP-STN-0142"}, checks=["bkm_dibuat", "buku_anggota_ditandatangani"])
    step(f"{agt}: Suwarni diterima sebagai anggota setelah membayar simpanan pokok Rp 100.000.")

    # 6. A board meeting: 4 of 5 pengurus present (Endang absent), decided by 3 votes of those present.
    rpg = services.start_case("keputusan_rapat_pengurus", COOP, "rina", values={
        "judul": "Penetapan Perum Bulog sebagai pemasok tetap beras gerai",
        "uraian": "Harga beras Bulog sesuai HET dan pasokan terjamin. Kontrak 6 bulan, dievaluasi tiap bulan.",
        "tanggal_rapat": services.today().isoformat(), "hadir": "bambang,dwi,rina,sri"},
        files={"notulen": doc("notulen-rapat.pdf", "Notulen rapat pengurus")}).summary.number
    services.act(rpg, "ajukan", "rina", checks=["undangan_terkirim", "daftar_hadir"])
    services.act(rpg, "setujui", "bambang")
    services.act(rpg, "setujui", "dwi")
    services.act(rpg, "setujui", "sri")
    step(f"{rpg}: rapat pengurus dihadiri 4 dari 5 pengurus; keputusan ditetapkan dengan 3 suara pengurus yang hadir.")

    out.print("\n[bold]Contoh penolakan oleh aturan[/] (tidak ada yang berubah):")
    new = services.start_case("pengeluaran_kas", COOP, "fajar", values={
        "keperluan": "Pembelian rak besi gerai", "jumlah": "1.500.000",
        "pos_rapb": "Pemeliharaan sarana", "penerima": "UD Logam Jaya"},
        files={"nota": doc("nota-rak.pdf", "Nota rak besi")}).summary.number
    services.act(new, "ajukan", "fajar", checks=["nota_terlampir", "pos_sesuai"])
    for who in ("wahyu", "fajar"):
        try:
            services.act(new, "verifikasi", who, checks=["jumlah_sesuai_nota", "saldo_cukup", "pos_tersedia"])
        except TatakelolaError as exc:
            step(f"{who} mencoba 'verifikasi' pada {new}: {exc.message}")
    proposal = services.start_case("keputusan_rapat_pengurus", COOP, "rina", values={
        "judul": "Kerja sama konsinyasi keripik tempe dengan UMKM Bu Sumiati",
        "uraian": "Titip jual 200 bungkus per bulan, bagi hasil 15% untuk koperasi.",
        "tanggal_rapat": services.today().isoformat(), "hadir": "bambang,dwi,endang,rina,sri"},
        files={"notulen": doc("notulen-konsinyasi.pdf", "Notulen rapat konsinyasi")}).summary.number
    services.act(proposal, "ajukan", "rina", checks=["undangan_terkirim", "daftar_hadir"])
    try:
        services.act(proposal, "setujui", "rina")
    except TatakelolaError as exc:
        step(f"rina mencoba menyetujui usulannya sendiri ({proposal}): {exc.message}")

    for report in services.verify(COOP):
        out.print(f"\n[bold green]Jejak persetujuan utuh[/]: {report.size} catatan, "
                  f"{report.checkpoints} checkpoint bertanda tangan, akar {report.root[:32]}")
    checkpoint = services.checkpoint(COOP)
    saved = directory / "checkpoint-terakhir.txt"
    saved.write_text(checkpoint.note, encoding="utf-8")
    out.print(f"Checkpoint terakhir disimpan di {saved} (simpan salinannya untuk pemeriksaan berikutnya).")

    db = f"sqlite:///{db_file}"
    out.print("\n[bold]Coba selanjutnya[/]")
    for line in (
        f"tatakelola --db {db} case list",
        f"tatakelola --db {db} case show {kas3} --as sri",
        f"tatakelola --db {db} tasks --as sri",
        f"tatakelola --db {db} case show {proposal} --as rina",
        f"tatakelola --db {db} audit verify",
        "tatakelola workflows show pengeluaran_kas --mermaid",
    ):
        out.print(f"  {line}", markup=False)
    return services


def demo_password(username: str) -> str:
    """The published password of a demo login (demo databases only)."""
    return f"{username}-demo"


def set_demo_passwords(services: Services) -> list[tuple[str, str, str]]:
    """Give every demo person their published password; return (username, name, roles) rows."""
    from engine.domain.roles import role_label
    from engine.services.organisation import load_org

    rows: list[tuple[str, str, str]] = []
    today = services.today()
    orgs = [load_org(DEMO_ORG), load_org(DEMO_CITY)]
    terms = [(c.slug, t) for org in orgs for c in org.cooperatives for t in c.roles]
    for org in orgs:
        for person in org.people:
            if any(r[0] == person.username for r in rows):
                continue
            # The published demo passwords are weak on purpose: this is the one caller allowed to skip
            # the password policy, and only for a demo database (``serve --demo``).
            services.set_password(person.username, demo_password(person.username), check_strength=False)
            held = [f"{role_label(t.role)} {slug.removeprefix('kkmp-').title()}" for slug, t in terms
                    if t.person == person.username and t.start <= today and (t.end is None or today <= t.end)
                    and t.role != "anggota"]
            rows.append((person.username, person.name, ", ".join(dict.fromkeys(held)) or "Anggota"))
    return rows
