#!/usr/bin/python3
"""formats_bench.py — `make bench-formats`: indexing documents (PDF, DOCX, HTML)
through the extraction worker, against pdftotext alone (issues 14 and 17).

  formats_bench.py --csearch BIN --bindir DIR --src CORPUS [--dir D] [--count N]
                   [--runs R] [--results DIR]

The indexes go to D/run-formats/. The format corpus D/formats-nN is made by bench/make-formats from N texts of
CORPUS (once; D/formats-nN.done marks a finished build). Then, R rounds, the
order of the commands rotating from round to round so that none always runs
on the quieter machine:

  all-j1, all-j2   csearch index --jobs 1 / 2 on docs/ (PDF + DOCX + HTML)
  pdf-j2           csearch index --jobs 2 on docs/pdf alone
  pdftotext        pdftotext over the same PDFs one after another (csearch's
                   arguments: -enc UTF-8 -eol unix FILE -), from one sh loop
  pdftotext+info   the same, each followed by pdfinfo -isodates -enc UTF-8 FILE
                   (csearch runs both for every PDF)
  text-j1, text-j2 csearch index on text/: the same source texts as plain text
                   (the fast path: no worker)

Each row gives the median wall and CPU seconds (user + system of the whole
process tree, from wait4), documents per second and extracted MB/s (stored
text bytes from `csearch stats`; for the pdftotext rows the bytes it wrote).
Then worker_bench: the worker round trip of one small text (2000 requests)
and of one PDF (50 requests). Wall-clock figures on a shared machine are
noisy: the load average is printed before and after, and the ratios that
matter (pdf-j2 against pdftotext) come from the same rounds.
"""
import argparse
import datetime
import os
import re
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchlib  # noqa: E402

TARGET = 1.8  # issue 17: 2 jobs >= 1.8x sequential pdftotext on a folder of PDFs


def log(*a):
    print("bench-formats:", *a, file=sys.stderr, flush=True)


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def measured(cmd, cwd=None):
    """Runs cmd; wall s, CPU s of it and its reaped children, bytes of stdout."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE)
    n = 0
    while True:
        b = p.stdout.read(1 << 16)
        if not b:
            break
        n += len(b)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    rc = os.waitstatus_to_exitcode(status)
    if rc not in (0, 1):
        raise SystemExit(f"bench-formats: {' '.join(cmd[:6])}... failed with status {rc}")
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "out_bytes": n}


def stored_text(csearch, idx):
    out = subprocess.run([csearch, "-i", idx, "stats"], capture_output=True, text=True).stdout
    m = re.search(r"stored text (\d+)", out)
    d = re.search(r"documents\s+(\d+)", out)
    f = re.search(r"failed\s+(\d+)", out)
    if not m or not d:
        raise SystemExit("bench-formats: cannot read csearch stats:\n" + out)
    return int(m.group(1)), int(d.group(1)), int(f.group(1)) if f else 0


def corpus(a):
    path = os.path.join(a.dir, f"formats-n{a.count}")
    done = path + ".done"
    if os.path.exists(done):
        log(f"corpus: reusing {path}")
        return path
    if not os.path.isdir(a.src):
        raise SystemExit(f"bench-formats: no source corpus at {a.src} (make bench-corpus, or "
                         "set BENCH_FORMATS_SRC to a directory made by make-corpus)")
    shutil.rmtree(path, ignore_errors=True)
    cmd = [sys.executable, os.path.join(HERE, "make-formats"), path, a.src,
           "--count", str(a.count)]
    log("corpus: " + " ".join(cmd))
    subprocess.run(cmd, check=True)
    open(done, "w").close()
    return path


def files(d):
    return sorted(os.path.join(d, f) for f in os.listdir(d))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--csearch", required=True)
    ap.add_argument("--bindir", required=True)
    ap.add_argument("--helper", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--dir", default="/tmp/csearch-bench")
    ap.add_argument("--count", type=int, default=900)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--results", default=None)
    a = ap.parse_args()
    a.csearch = os.path.abspath(a.csearch)
    corp = corpus(a)
    run = os.path.join(a.dir, "run-formats")
    os.makedirs(run, exist_ok=True)
    pdfs = files(os.path.join(corp, "docs", "pdf"))
    docs = sum(len(os.listdir(os.path.join(corp, "docs", f))) for f in ("pdf", "docx", "html"))
    texts = len(os.listdir(os.path.join(corp, "text")))
    text_raw = sum(os.path.getsize(p) for p in files(os.path.join(corp, "text")))
    loop_t = 'for f in "$@"; do pdftotext -enc UTF-8 -eol unix "$f" -; done'
    loop_ti = ('for f in "$@"; do pdftotext -enc UTF-8 -eol unix "$f" -; '
               'pdfinfo -isodates -enc UTF-8 "$f" >/dev/null; done')
    cases = [  # name, command or index dir + args, documents
        ("all-j1", ["docs"], 1, docs),
        ("all-j2", ["docs"], 2, docs),
        ("pdf-j2", ["docs/pdf"], 2, len(pdfs)),
        ("pdftotext", ["sh", "-c", loop_t, "sh", *pdfs], None, len(pdfs)),
        ("pdftotext+info", ["sh", "-c", loop_ti, "sh", *pdfs], None, len(pdfs)),
        ("text-j1", ["text"], 1, texts),
        ("text-j2", ["text"], 2, texts),
    ]
    res = {c[0]: [] for c in cases}
    load0 = loadavg()
    log(f"{docs} documents ({len(pdfs)} PDF), {texts} texts; load {load0}")
    for rnd in range(a.runs):
        for k in range(len(cases)):
            name, arg, jobs, n = cases[(rnd + k) % len(cases)]
            if jobs is None:
                r = measured(arg, cwd=corp)
                r["text"] = r["out_bytes"]
                r["failed"] = 0
            else:
                idx = os.path.join(run, name)
                shutil.rmtree(idx, ignore_errors=True)
                r = measured([a.csearch, "-i", idx, "index", "--jobs", str(jobs), *arg], cwd=corp)
                r["text"], got, r["failed"] = stored_text(a.csearch, idx)
                if got != n:
                    log(f"warning: {name} indexed {got} of {n} documents")
            r["load"] = loadavg()
            log(f"round {rnd + 1}/{a.runs} {name}: {r['wall']:.2f} s wall, {r['cpu']:.2f} s CPU, "
                f"{n / r['wall']:.1f} docs/s, load {r['load']}")
            res[name].append(r)
    load1 = loadavg()

    # worker round trips
    env = dict(os.environ, CSEARCH_EXTRACT_HELPER=os.path.abspath(a.helper))
    wb = os.path.join(a.bindir, "worker_bench")
    small = files(os.path.join(corp, "text"))
    small = min(small[:50], key=os.path.getsize)
    pdf_one = min(pdfs, key=os.path.getsize)
    wtext = subprocess.run([wb, small, "2000"], env=env, capture_output=True, text=True).stdout
    wpdf = subprocess.run([wb, pdf_one, "50"], env=env, capture_output=True, text=True).stdout
    # the same PDF through pdftotext alone, 50 times, for the difference
    t0 = time.perf_counter()
    for _ in range(50):
        subprocess.run(["pdftotext", "-enc", "UTF-8", "-eol", "unix", pdf_one, "-"],
                       stdout=subprocess.DEVNULL)
    t_direct = (time.perf_counter() - t0) / 50 * 1e6

    # report
    med = {}
    lines = [f"bench-formats {datetime.datetime.now():%Y-%m-%d %H:%M:%S}, "
             f"{os.cpu_count()} cores, {a.runs} rounds (order rotating), corpus {corp}",
             f"{docs} documents: {len(pdfs)} PDF, the rest DOCX and HTML; text/: {texts} "
             f"source texts, {text_raw / 1e6:.2f} MB",
             f"load average before {load0}, after {load1} (wall times are noisy on a shared "
             "machine; compare rows of the same run)", "",
             f"{'case':16} {'docs':>5} {'wall s':>7} {'(min-max)':>13} {'CPU s':>6} {'docs/s':>7} "
             f"{'text MB':>8} {'MB/s':>6} {'failed':>6}"]
    for name, _, _, n in cases:
        rs = res[name]
        w = benchlib.median([r["wall"] for r in rs])
        c = benchlib.median([r["cpu"] for r in rs])
        t = rs[-1]["text"]
        med[name] = (w, c, n, t)
        lines.append(f"{name:16} {n:5d} {w:7.2f} {min(r['wall'] for r in rs):6.2f}-"
                     f"{max(r['wall'] for r in rs):<6.2f} {c:6.2f} {n / w:7.1f} {t / 1e6:8.2f} "
                     f"{t / 1e6 / w:6.2f} {rs[-1]['failed']:6d}")
    pw = med["pdf-j2"][0]
    lines += ["",
              f"pdf-j2 throughput / sequential pdftotext:          "
              f"{med['pdftotext'][0] / pw:.2f}x  (target >= {TARGET}x)",
              f"pdf-j2 throughput / sequential pdftotext+pdfinfo:  "
              f"{med['pdftotext+info'][0] / pw:.2f}x",
              "per-round ratios pdftotext/pdf-j2: " + ", ".join(
                  f"{t['wall'] / p['wall']:.2f}" for t, p in zip(res["pdftotext"], res["pdf-j2"])),
              f"CPU per PDF: csearch pdf-j2 {med['pdf-j2'][1] / len(pdfs) * 1e3:.1f} ms, "
              f"pdftotext {med['pdftotext'][1] / len(pdfs) * 1e3:.1f} ms, pdftotext+pdfinfo "
              f"{med['pdftotext+info'][1] / len(pdfs) * 1e3:.1f} ms",
              f"all-j2 / all-j1 throughput: {med['all-j1'][0] / med['all-j2'][0]:.2f}x; "
              f"text-j2 / text-j1: {med['text-j1'][0] / med['text-j2'][0]:.2f}x",
              f"plain text (fast path) / documents through the worker, docs/s, 2 jobs: "
              f"{(texts / med['text-j2'][0]) / (docs / med['all-j2'][0]):.1f}x", "",
              f"worker_bench, small text {os.path.relpath(small, corp)} "
              f"({os.path.getsize(small)} bytes), 2000 requests:",
              *("  " + s for s in wtext.strip().splitlines()),
              f"worker_bench, one PDF {os.path.relpath(pdf_one, corp)} "
              f"({os.path.getsize(pdf_one)} bytes), 50 requests:",
              *("  " + s for s in wpdf.strip().splitlines()),
              f"  pdftotext alone on it, 50 runs from Python: {t_direct:.0f} us each",
              f"load average at the end {loadavg()}"]
    report = "\n".join(lines) + "\n"
    print(report, end="")
    if a.results:
        os.makedirs(a.results, exist_ok=True)
        out = os.path.join(a.results, f"{datetime.datetime.now():%Y%m%d-%H%M%S}-formats.txt")
        with open(out, "w") as f:
            f.write(report)
        log("report: " + out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
