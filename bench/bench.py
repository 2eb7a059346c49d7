#!/usr/bin/python3
"""bench.py — `make bench`: csearch against Xapian and SQLite FTS5, one corpus, one run.

  bench.py --csearch BIN --bindir DIR [--shared DIR] [--dir BENCH_DIR] [--scale N]
           [--runs R] [--cold N] [--results DIR] [--only PHASES]

Phases, in order (--only takes a comma-separated subset; a query or cold
phase without the index phase reuses the indexes of the last run):
  deps    python3-xapian (apt-get install when root, else the command is printed
          and Xapian is left out) and SQLite FTS5 in Debian's /usr/bin/python3
  corpus  BENCH_DIR/corpus-sN, built by ../shared/bench/make-corpus --scale N
          unless BENCH_DIR/corpus-sN.done says a build finished; every file's
          mtime is set to a day in 2015-2025 by a hash of its path
          (benchlib.doc_mtime), the date `date:` tests in csearch and the year
          the anchors index
  floor   DIR/analysis_bench over the corpus: reading it into memory, and
          tokenising + stemming it on one core without indexing
  index   csearch --jobs 1 and --jobs 2, Xapian, FTS5, each a fresh index under
          BENCH_DIR/run-sN/: wall and CPU seconds and peak RSS of the indexing
          process (wait4), MB/s of raw text, index bytes / raw bytes
  query   every line of queries.txt through the three drivers (query_bench.c,
          xapian_bench.py, fts5_bench.py), interleaved query by query: medians
          of R warm runs for top-10 by rank and for the full count
  filter  every line of bench/queries-filtered.txt (a query with a date: item)
          through the three drivers, and the same query without its date:
          item just before it: csearch filtered against unfiltered, and
          against Xapian (a boolean filter term) and FTS5 (WHERE on a year)
  threads DIR/thread_bench: queries/s of one reader searched by 1 and by 2
          threads for --thread-seconds each, top-10 without and with snippets
  cold    DIR/coldstart: `csearch -i IDX --count kernel` as a whole process
The report goes to standard output and, with the TSVs, to --results
(<date>-sN.txt, -index.tsv, -queries.tsv, -filtered.tsv, -summary.tsv).
"""
import argparse
import datetime
import os
import platform
import re
import shutil
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

PY = "/usr/bin/python3"  # Debian's: python3-xapian is installed for it
HERE = os.path.dirname(os.path.abspath(__file__))
ENGINES = ("csearch", "xapian", "fts5")
LABEL = {"csearch": "csearch", "xapian": "Xapian", "fts5": "FTS5"}
CLASSES = ("term", "and", "or", "phrase", "not", "prefix", "near")
QUERY_TARGET = 0.20      # csearch top-10 <= 0.2x the faster anchor, per class
COLD_TARGET_MS = 5.0
SNIP_TARGET = 2.0        # top-10 with snippets <= 2x top-10 without, per class (issue 17)
FILTER_TARGET = 1.0      # a date: filter must not make a query slower (issue 16)
THREAD_TARGET = 1.8      # 2 threads on one reader >= 1.8x one thread's queries/s (issue 17)
FILTERED_QUERIES = os.path.join(HERE, "queries-filtered.txt")
OVERHEAD, ABSENT = "overhead", "qzxjvwq"  # a class of its own: a word in no document


def log(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- machine, versions
def machine():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem = "?"
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1048576:.1f} GiB"
                break
    return {"host": platform.node(), "cores": os.cpu_count(),
            "usable_cores": len(os.sched_getaffinity(0)), "cpu": model, "mem": mem,
            "kernel": platform.release()}


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def output(cmd, **kw):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, **kw).stdout.strip()
    except OSError:
        return "?"


def versions(a, have):
    v = {"csearch": output([a.csearch, "--version"]).split("\n")[0],
         "git": output(["git", "describe", "--always", "--dirty"], cwd=os.path.dirname(HERE))}
    if "xapian" in have:
        v["xapian"] = output([PY, "-c", "import xapian; print(xapian.version_string())"])
    v["sqlite"] = output([PY, "-c", "import sqlite3; print(sqlite3.sqlite_version)"])
    return v


# ---------------------------------------------------------------- deps, corpus
def apt_install(pkg):
    cmd = ["apt-get", "install", "-y", pkg]
    if os.geteuid() != 0:
        log(f"{pkg} is missing; install it with:  sudo {' '.join(cmd)}")
        return False
    log("installing: " + " ".join(cmd))
    if subprocess.run(cmd, stdout=subprocess.DEVNULL).returncode:
        subprocess.run(["apt-get", "update"], stdout=subprocess.DEVNULL)
        if subprocess.run(cmd, stdout=subprocess.DEVNULL).returncode:
            return False
    return True


def deps():
    """The engines that can run: csearch always, the anchors when their module loads."""
    have = ["csearch"]
    check_x = [PY, "-c", "import xapian"]
    if subprocess.run(check_x, capture_output=True).returncode == 0 or \
            (apt_install("python3-xapian") and subprocess.run(check_x).returncode == 0):
        have.append("xapian")
    else:
        log("Xapian left out of this run")
    check_f = [PY, "-c", "import sqlite3; sqlite3.connect(':memory:').execute("
               "\"CREATE VIRTUAL TABLE t USING fts5(x, tokenize='porter unicode61')\")"]
    if subprocess.run(check_f, capture_output=True).returncode == 0:
        have.append("fts5")
    else:
        log(f"{PY} has no sqlite3 with FTS5 (Debian's python3 has): FTS5 left out of this run")
    return have


def corpus(a):
    path = os.path.join(a.dir, f"corpus-s{a.scale}")
    done = path + ".done"
    if os.path.exists(done) and os.path.isdir(os.path.join(path, "en")):
        log(f"corpus: reusing {path}")
        return path
    if os.path.exists(done):
        os.unlink(done)
    make = os.path.join(a.shared, "make-corpus")
    cmd = [PY, make, path, "--scale", str(a.scale)]
    log("corpus: " + " ".join(cmd))
    subprocess.run(cmd, check=True)
    open(done, "w").close()
    return path


def set_mtimes(corp):
    """Gives every document the mtime benchlib.doc_mtime() chooses by its path
    (a day in benchlib.YEARS): the corpus has no dates of its own, and csearch's
    date: falls back to the mtime.  Idempotent; returns the files changed."""
    n = 0
    for rel, p in benchlib.corpus_files(corp):
        t = benchlib.doc_mtime(rel)
        if os.stat(p).st_mtime != t:
            os.utime(p, (t, t))
            n += 1
    log(f"corpus: {n} mtimes set (a day in {benchlib.YEARS[0]}-{benchlib.YEARS[1]} by path)")
    return n


def tree_bytes(path, skip=None):
    """Bytes of the regular files under path (or of path itself), minus those
    whose name matches skip."""
    if os.path.isfile(path):
        return os.path.getsize(path)
    n = 0
    for dp, _, fns in os.walk(path):
        for f in fns:
            if skip is None or not skip.match(f):
                n += os.path.getsize(os.path.join(dp, f))
    return n


# ---------------------------------------------------------------- measuring a process
def measured(cmd, cwd=None):
    """Runs cmd; returns wall s, CPU s (user + system), peak RSS MB, stdout."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, text=True)
    out = p.stdout.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode not in (0, 1):
        raise SystemExit(f"bench: {' '.join(cmd)} failed with status {p.returncode}")
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "sys": ru.ru_stime,
            "rss_mb": ru.ru_maxrss / 1024, "out": out.strip()}


def floor(a, corp):
    """Reading the corpus, and analysing it on one core (analysis_bench)."""
    r = measured([os.path.join(a.bindir, "analysis_bench"), corp])
    m = re.search(r"read:\s+(\d+) files, ([\d.]+) MB in ([\d.]+) s", r["out"])
    n = re.search(r"analysed: ([\d.]+) MB in ([\d.]+) s = ([\d.]+) MB/s.*cpu ([\d.]+) s", r["out"])
    if not m or not n:
        raise SystemExit("bench: cannot parse analysis_bench output:\n" + r["out"])
    mb, read_s, an_s, an_cpu = float(m.group(2)), float(m.group(3)), float(n.group(2)), \
        float(n.group(4))
    raw = sum(os.path.getsize(p) for _, p in benchlib.corpus_files(corp))
    return {"files": int(m.group(1)), "mb": mb, "raw": raw, "read_s": read_s,
            "read_mbs": mb / read_s,
            "an_s": an_s, "an_mbs": mb / an_s, "an_cpu": an_cpu, "text": r["out"]}


def index_cmd(a, eng, j, corp, run, tops):
    """The command that indexes the corpus with one engine, and its index path."""
    if eng == "csearch":
        idx = os.path.join(run, f"csearch-j{j}")
        return [a.csearch, "-i", idx, "index", "--jobs", str(j), *tops], idx
    if eng == "xapian":
        idx = os.path.join(run, "xapian")
        return [PY, os.path.join(HERE, "xapian_bench.py"), "index", corp, idx], idx
    idx = os.path.join(run, "fts5.db")
    return [PY, os.path.join(HERE, "fts5_bench.py"), "index", corp, idx], idx


def index_all(a, corp, run, have):
    """Indexes the corpus a.index_runs times with csearch (1 and 2 jobs) and
    FTS5, in rotating order, and once with Xapian (about 90 s); a row holds
    the median wall and CPU time over its runs and the largest peak RSS."""
    tops = benchlib.corpus_tops(corp)
    raw = sum(os.path.getsize(p) for _, p in benchlib.corpus_files(corp))
    text_re = re.compile(r"^s.*\.text$")
    jobs = [("csearch", 1), ("csearch", 2)] + [(e, 1) for e in ("xapian", "fts5") if e in have]
    runs = {k: [] for k in jobs}
    for rnd in range(a.index_runs):
        for k in range(len(jobs)):
            eng, j = jobs[(rnd + k) % len(jobs)]
            if eng == "xapian" and rnd > 0:
                continue
            cmd, idx = index_cmd(a, eng, j, corp, run, tops)
            shutil.rmtree(idx, ignore_errors=True)
            if os.path.isfile(idx):
                os.unlink(idx)
            log(f"index {rnd + 1}/{a.index_runs}: {LABEL[eng]} (jobs {j}) ...")
            r = measured(cmd, cwd=corp)
            r["bytes"] = tree_bytes(idx)
            r["notext"] = tree_bytes(idx, text_re) if eng == "csearch" else r["bytes"]
            log(f"       {r['wall']:.1f} s wall, {r['cpu']:.1f} s CPU, "
                f"{raw / 1e6 / r['wall']:.1f} MB/s, {r['rss_mb']:.0f} MB RSS, "
                f"index {r['bytes'] / 1e6:.1f} MB")
            runs[(eng, j)].append(r)
    rows = []
    for (eng, j) in jobs:
        rs = runs[(eng, j)]
        wall = benchlib.median([r["wall"] for r in rs])
        cpu = benchlib.median([r["cpu"] for r in rs])
        sys_s = benchlib.median([r["sys"] for r in rs])
        size, notext = rs[-1]["bytes"], rs[-1]["notext"]
        rows.append({"engine": eng, "jobs": j, "runs": len(rs), "wall": wall, "cpu": cpu,
                     "sys": sys_s,
                     "wall_min": min(r["wall"] for r in rs),
                     "wall_max": max(r["wall"] for r in rs),
                     "mbs": raw / 1e6 / wall, "cpu_mbs": raw / 1e6 / cpu,
                     "rss_mb": max(r["rss_mb"] for r in rs), "bytes": size, "notext": notext,
                     "raw": raw, "ratio": size / raw, "ratio_notext": notext / raw})
    return rows


# ---------------------------------------------------------------- queries
class Driver:
    """One engine's query driver, fed one query line at a time."""

    def __init__(self, eng, cmd):
        self.eng = eng
        self.p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                  encoding="utf-8", bufsize=1)
        self.dead = False

    def ask(self, cls, q):
        if self.dead:
            return None
        try:
            self.p.stdin.write(f"{cls}\t{q}\n")
            self.p.stdin.flush()
            line = self.p.stdout.readline()
        except (BrokenPipeError, OSError):
            line = ""
        if not line:
            log(f"{LABEL[self.eng]} driver stopped (exit {self.p.poll()}); left out from here")
            self.dead = True
            return None
        f = line.rstrip("\n").split("\t")
        f += [""] * (7 - len(f))
        if f[2] == "error":
            return {"error": f[6] or "error", "matches": None}
        num = lambda s: float(s) if s not in ("", "-") else None  # noqa: E731
        note = f[6] if self.eng != "csearch" else ""
        return {"top": float(f[2]), "count": float(f[3]), "matches": int(f[4]),
                "snip": num(f[5]), "engine_query": note}

    def close(self):
        try:
            self.p.stdin.close()
        except OSError:
            pass
        self.p.wait()


def queries_file(a, path=None):
    out = []
    with open(path or os.path.join(a.shared, "queries.txt"), encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\r\n")
            if line and not line.startswith("#"):
                out.append(benchlib.parse_line(line))
    return out


def start_drivers(a, run, have):
    cmds = {"csearch": [os.path.join(a.bindir, "query_bench"), "-r", str(a.runs),
                        os.path.join(run, "csearch-j1")],
            "xapian": [PY, os.path.join(HERE, "xapian_bench.py"), "query",
                       os.path.join(run, "xapian"), str(a.runs)],
            "fts5": [PY, os.path.join(HERE, "fts5_bench.py"), "query",
                     os.path.join(run, "fts5.db"), str(a.runs)]}
    idx = {"csearch": cmds["csearch"][-1], "xapian": cmds["xapian"][-2],
           "fts5": cmds["fts5"][-2]}
    missing = [idx[e] for e in have if not os.path.exists(idx[e])]
    if missing:
        raise SystemExit("bench: no index at " + ", ".join(missing) + ": run the index phase")
    return [Driver(e, cmds[e]) for e in have]


def query_all(a, run, have):
    drivers = start_drivers(a, run, have)
    rows = []
    qs = queries_file(a)
    for i, (cls, q) in enumerate(qs):
        log(f"query {i + 1}/{len(qs)}: {q}")
        res = {}
        for k in range(len(drivers)):  # rotate the order: no engine always goes first
            d = drivers[(i + k) % len(drivers)]
            res[d.eng] = d.ask(cls, q)
        rows.append({"class": cls, "query": q, "res": res})
    # The fixed cost of one query through each API: a word that is in no document.
    rows.append({"class": OVERHEAD, "query": ABSENT,
                 "res": {d.eng: d.ask(OVERHEAD, ABSENT) for d in drivers}})
    for d in drivers:
        d.close()
    return rows


def filter_all(a, run, have):
    """Each filtered query of FILTERED_QUERIES and, just before it, the same
    query without its date: item, through every driver (order rotating)."""
    drivers = start_drivers(a, run, have)
    rows = []
    qs = queries_file(a, FILTERED_QUERIES)
    for i, (cls, fq) in enumerate(qs):
        base, years = benchlib.split_date(fq)
        if years is None:
            raise SystemExit(f"bench: {FILTERED_QUERIES}: no date:YEAR item in {fq!r}")
        log(f"filtered {i + 1}/{len(qs)}: {fq}")
        res = {}
        for which, q in (("base", base), ("filt", fq)):
            for k in range(len(drivers)):
                d = drivers[(i + k) % len(drivers)]
                res[(d.eng, which)] = d.ask(cls, q)
        rows.append({"class": cls, "query": fq, "base": base, "res": res})
    for d in drivers:
        d.close()
    return rows


def threads(a, run):
    """thread_bench: queries/s with 1 and 2 threads on one reader."""
    log(f"threads: 1 and 2 threads, {a.thread_seconds:g} s each, without and with snippets ...")
    r = measured([os.path.join(a.bindir, "thread_bench"), "-s", str(a.thread_seconds),
                  os.path.join(run, "csearch-j1"), os.path.join(a.shared, "queries.txt")])
    out = {"runs": [], "load": loadavg()}
    for line in r["out"].splitlines():
        if not line.startswith("snippets "):
            continue
        f = dict(x.split(" ", 1) for x in line.split("\t"))
        out["runs"].append({"snip": int(f["snippets"]), "threads": int(f["threads"]),
                            "queries": int(f["queries"]), "seconds": float(f["seconds"]),
                            "qps": float(f["qps"]), "cpu": float(f["cpu"])})
    for snip in (0, 1):
        q = {x["threads"]: x["qps"] for x in out["runs"] if x["snip"] == snip}
        c = {x["threads"]: ratio(x["qps"], x["cpu"]) for x in out["runs"] if x["snip"] == snip}
        out[snip] = ratio(q.get(2), q.get(1))
        out[("cpu", snip)] = ratio(c.get(2), c.get(1))
    return out


# ---------------------------------------------------------------- why counts differ
REASONS = {
    "R": "FTS5 has no Russian stemmer: a Cyrillic word matches only its own (case-folded) form",
    "P": "FTS5 stems with Porter (csearch and Xapian: Snowball english, a later algorithm)",
    "F": "FTS5 prefix* matches Porter stems; csearch and Xapian: unstemmed words",
    "Y": "FTS5 unicode61 splits at apostrophes (don't -> don, t) and does not fold ё to е",
    "U": "Xapian STEM_SOME: words in phrases and NEAR are matched unstemmed (stems carry "
         "no positions)",
    "C": "Xapian does not stem a capitalised query word",
    "D": "Xapian stems a document with one stemmer chosen by folder: Latin words in ru/ are "
         "not English-stemmed (Image stays image, the query's stem is imag), Cyrillic words "
         "in en/ not Russian-stemmed; csearch stems each token by its script",
    "X": "Xapian keeps '_' inside words (request_irq is one term, so irq does not match it), "
         "keeps C++ and does not fold ё to е",
}
LATIN = re.compile(r"[A-Za-z]")


def why(cls, q, eng):
    """The codes of REASONS that can explain eng's count differing from csearch's."""
    cyr, lat = benchlib.has_cyrillic(q), bool(LATIN.search(q))
    codes = []
    if eng == "fts5":
        if cyr:
            codes.append("R")
        if lat:
            codes.append("P")
        if cls == "prefix":
            codes.append("F")
        codes.append("Y")
    else:
        if cls in ("phrase", "near"):
            codes.append("U")
        if any(w[:1].isupper() for w in benchlib.lex(q) if w not in ("OR", "AND", "NOT")
               and not w.startswith("NEAR")):
            codes.append("C")
        if cls != "prefix":  # prefixes match unstemmed words: no stemmer involved
            codes.append("D")
        codes.append("X")
    return codes


# ---------------------------------------------------------------- report
def us(x):
    if x is None:
        return "-"
    return f"{x:.0f}" if x >= 100 else f"{x:.1f}"


def ratio(x, y):
    return x / y if x is not None and y else None


def rx(x):
    return "-" if x is None else f"{x:.2f}"


def table(head, rows, align=None):
    w = [max(len(str(r[i])) for r in [head] + rows) for i in range(len(head))]
    align = align or ["<"] + [">"] * (len(head) - 1)
    fmt = lambda r: "  ".join(f"{str(c):{align[i]}{w[i]}}" for i, c in enumerate(r))  # noqa
    return [fmt(head), fmt(["-" * x for x in w])] + [fmt(r) for r in rows]


def class_summary(qrows, have):
    out = {}
    for cls in CLASSES:
        rs = [r for r in qrows if r["class"] == cls]
        if not rs:
            continue
        s = {"n": len(rs)}
        for e in have:
            for kind in ("top", "count", "snip"):
                v = [r["res"][e][kind] for r in rs if r["res"].get(e) and
                     r["res"][e].get(kind) is not None]
                s[(e, kind)] = benchlib.median(v) if len(v) == len(rs) else None
        anchors = [s.get((e, "top")) for e in ("xapian", "fts5") if e in have]
        anchors = [x for x in anchors if x is not None]
        s["best"] = min(anchors) if anchors else None
        s["cs_best"] = ratio(s.get(("csearch", "top")), s["best"])
        out[cls] = s
    return out


def filter_summary(frows, have):
    """Per class: medians of csearch's unfiltered and filtered top-10, of the
    anchors' filtered top-10, of each query's filtered ÷ unfiltered (csearch),
    and csearch filtered ÷ the faster anchor's filtered (class medians)."""
    out = {}
    for cls in CLASSES:
        rs = [r for r in frows if r["class"] == cls]
        if not rs:
            continue
        s = {"n": len(rs)}
        for e in have:
            for which in ("base", "filt"):
                v = [(r["res"].get((e, which)) or {}).get("top") for r in rs]
                s[(e, which)] = benchlib.median(v) if None not in v else None
        fu = [ratio((r["res"].get(("csearch", "filt")) or {}).get("top"),
                    (r["res"].get(("csearch", "base")) or {}).get("top")) for r in rs]
        s["f_u"] = benchlib.median(fu) if None not in fu else None
        anchors = [s.get((e, "filt")) for e in ("xapian", "fts5") if e in have]
        anchors = [x for x in anchors if x is not None]
        s["best"] = min(anchors) if anchors else None
        s["cs_best"] = ratio(s.get(("csearch", "filt")), s["best"])
        out[cls] = s
    return out


def report(a, info, vers, have, fl, irows, qrows, cold, corp, frows=(), thr=None):
    L = []
    L.append(f"csearch benchmark — {info['date']}, scale {a.scale}, {a.runs} runs per query")
    L.append(f"machine: {info['cores']} cores ({info['usable_cores']} usable), {info['cpu']}, "
             f"{info['mem']}, Linux {info['kernel']}, host {info['host']}")
    L.append(f"load average at start {info['load_start']}, at end {info['load_end']} "
             "(shared machine: absolute times drift; compare ratios from one run)")
    L.append("versions: " + ", ".join(f"{k} {v}" for k, v in vers.items()))
    L.append(f"corpus: {corp}")
    if "fts5" in have:
        L.append("note: FTS5 (porter unicode61) has no Russian stemmer: Russian words match only "
                 "their exact form there")
    raw = irows[0]["raw"] if irows else None

    if fl:
        L += ["", "== Floor (one core, no index) =="]
        L.append(f"read the corpus into memory: {fl['mb']:.1f} MB, {fl['files']} files in "
                 f"{fl['read_s']:.2f} s = {fl['read_mbs']:.0f} MB/s (page cache warm)")
        L.append(f"tokenise + stem only (analysis_bench): {fl['an_s']:.2f} s = "
                 f"{fl['an_mbs']:.1f} MB/s (thread CPU {fl['an_cpu']:.2f} s)")

    if irows:
        L += ["", "== Indexing (raw text %.1f MB) ==" % (raw / 1e6)]
        head = ["engine", "jobs", "runs", "wall s", "(min-max)", "CPU s", "(sys)", "MB/s",
                "MB/CPU-s",
                "peak RSS MB", "index MB", "index/raw", "no text/raw"]
        rows = [[LABEL[r["engine"]], r["jobs"], r["runs"], f"{r['wall']:.2f}",
                 f"{r['wall_min']:.1f}-{r['wall_max']:.1f}", f"{r['cpu']:.2f}",
                 f"{r['sys']:.2f}", f"{r['mbs']:.1f}", f"{r['cpu_mbs']:.1f}", f"{r['rss_mb']:.0f}",
                 f"{r['bytes'] / 1e6:.1f}", f"{r['ratio']:.2f}", f"{r['ratio_notext']:.2f}"]
                for r in irows]
        if fl:
            rows.append(["floor: analyse", 1, 1, f"{fl['an_s']:.2f}", "", f"{fl['an_cpu']:.2f}",
                         "", f"{fl['an_mbs']:.1f}", f"{fl['mb'] / fl['an_cpu']:.1f}", "", "", "",
                         ""])
        L += table(head, rows)
        L.append("(medians over the runs; MB/s = raw MB ÷ wall, MB/CPU-s = raw MB ÷ CPU "
                 "seconds, the steadier figure on a busy machine; csearch 'index/raw' "
                 "includes its stored text (s*.text), 'no text/raw' leaves it out; FTS5 is "
                 "contentless and Xapian stores no text)")

    summ = class_summary(qrows, have) if qrows else {}
    if qrows:
        L += ["", "== Queries: median µs of %d warm runs; ×cs = engine ÷ csearch; "
              "cs/best = csearch ÷ the faster anchor (target ≤ %.2f) ==" % (a.runs, QUERY_TARGET)]
        for cls in CLASSES:
            rs = [r for r in qrows if r["class"] == cls]
            if not rs:
                continue
            head = ["%s (%d)" % (cls, len(rs)), "cs top10"]
            for e in have[1:]:
                head += [f"{LABEL[e]}", "×cs"]
            head += ["cs/best", "cs count"] + [f"{LABEL[e]} count" for e in have[1:]]
            head += ["cs +snip"]
            rows = []
            for r in rs + [None]:
                if r is None:
                    s = summ[cls]
                    get = lambda e, k: s.get((e, k))  # noqa: E731
                    name, csb = "median", s["cs_best"]
                else:
                    res = r["res"]
                    get = lambda e, k: (res.get(e) or {}).get(k)  # noqa: E731
                    best = [get(e, "top") for e in have[1:] if get(e, "top") is not None]
                    name = r["query"]
                    csb = ratio(get("csearch", "top"), min(best)) if best else None
                row = [name, us(get("csearch", "top"))]
                for e in have[1:]:
                    row += [us(get(e, "top")), rx(ratio(get(e, "top"), get("csearch", "top")))]
                row += [rx(csb), us(get("csearch", "count"))]
                row += [us(get(e, "count")) for e in have[1:]]
                row += [us(get("csearch", "snip"))]
                rows.append(row)
            L += [""] + table(head, rows)
        L += ["", "cs +snip ÷ cs (top-10 with snippets ÷ without, class medians; target ≤ "
              f"{SNIP_TARGET:g}×): " + ", ".join(
                  f"{cls} {rx(ratio(s.get(('csearch', 'snip')), s.get(('csearch', 'top'))))}"
                  for cls, s in summ.items())]

        L += ["", "== Match counts (full count; notes say why an engine differs from csearch) =="]
        head = ["class", "query", "csearch"] + [LABEL[e] for e in have[1:]] + ["notes"]
        rows, used = [], set()
        for r in qrows:
            if r["class"] == OVERHEAD:
                continue
            res = r["res"]
            cs_n = (res.get("csearch") or {}).get("matches")
            row = [r["class"], r["query"], "err" if cs_n is None else cs_n]
            notes = []
            for e in have[1:]:
                x = res.get(e)
                n = None if not x else x.get("matches")
                row.append("err" if n is None else n)
                if x and x.get("error"):
                    notes.append(f"{LABEL[e]}: {x['error']}")
                elif n is not None and cs_n is not None and n != cs_n:
                    c = why(r["class"], r["query"], e)
                    used.update(c)
                    notes.append(f"{LABEL[e]} {'+' if n > cs_n else '-'}{abs(n - cs_n)} "
                                 f"[{''.join(c)}]")
            row.append("; ".join(notes) or "same")
            rows.append(row)
        L += table(head, rows, ["<", "<"] + [">"] * len(have) + ["<"])
        for c in sorted(used):
            L.append(f"  [{c}] {REASONS[c]}")
        L.append("  (a note lists every cause that can apply to that query; "
                 "docs/performance.md checks the large gaps one by one)")
        ov = [r for r in qrows if r["class"] == OVERHEAD]
        if ov:
            L += ["", f"fixed cost of one query (the word '{ABSENT}', in no document; the "
                  "anchors' figures include their Python binding): " +
                  ", ".join(f"{LABEL[e]} {us((ov[0]['res'].get(e) or {}).get('top'))} µs"
                  for e in have)]
        if len(have) > 1:
            L += ["", "== Queries as each anchor ran them =="]
            L += table(["query"] + [LABEL[e] for e in have[1:]],
                       [[r["query"]] + [(r["res"].get(e) or {}).get("engine_query", "")
                                        for e in have[1:]]
                        for r in qrows if r["class"] != OVERHEAD], ["<"] * len(have))

    fsumm = filter_summary(frows, have) if frows else {}
    if frows:
        L += ["", "== Filtered queries (bench/queries-filtered.txt): median µs of %d warm "
              "runs, top-10; unfiltered = the same query without its date: item, run just "
              "before it; f/u = csearch filtered ÷ unfiltered (target ≤ %g); cs/best = csearch "
              "filtered ÷ the faster anchor's filtered (target ≤ %.2f) ==" %
              (a.runs, FILTER_TARGET, QUERY_TARGET)]
        L.append("(Xapian: Query(OP_FILTER, query, Y<year>); FTS5: JOIN files ... WHERE "
                 "year BETWEEN; the corpus files' mtimes are set by bench.py, a day in "
                 f"{benchlib.YEARS[0]}-{benchlib.YEARS[1]} by a hash of the path)")
        head = ["class", "query", "cs unfilt", "cs filt", "f/u"]
        for e in have[1:]:
            head += [f"{LABEL[e]} unfilt", f"{LABEL[e]} filt"]
        head += ["cs/best", "cs matches"] + [f"{LABEL[e]} matches" for e in have[1:]]
        rows = []
        for r in frows:
            get = lambda e, w, k: (r["res"].get((e, w)) or {}).get(k)  # noqa: E731
            best = [get(e, "filt", "top") for e in have[1:] if get(e, "filt", "top") is not None]
            row = [r["class"], r["query"], us(get("csearch", "base", "top")),
                   us(get("csearch", "filt", "top")),
                   rx(ratio(get("csearch", "filt", "top"), get("csearch", "base", "top")))]
            for e in have[1:]:
                row += [us(get(e, "base", "top")), us(get(e, "filt", "top"))]
            row += [rx(ratio(get("csearch", "filt", "top"), min(best)) if best else None)]
            for e in have:
                n = get(e, "filt", "matches")
                err = get(e, "filt", "error")
                row.append("err" if n is None else n)
                if err:
                    row[-1] = "err: " + err[:40]
            rows.append(row)
        L += [""] + table(head, rows, ["<", "<"] + [">"] * (len(head) - 2))
        head = ["class (queries)", "cs unfilt", "cs filt", "f/u"]
        for e in have[1:]:
            head += [f"{LABEL[e]} filt"]
        head += ["cs/best"]
        rows = []
        for cls, s in fsumm.items():
            row = [f"{cls} ({s['n']})", us(s.get(("csearch", "base"))),
                   us(s.get(("csearch", "filt"))), rx(s["f_u"])]
            row += [us(s.get((e, "filt"))) for e in have[1:]]
            row += [rx(s["cs_best"])]
            rows.append(row)
        L += ["", "per class: medians; f/u is the median of the queries' f/u"] + table(head, rows)

    if thr:
        L += ["", "== Threads: one reader, 1 and 2 threads searching at once, the queries of "
              "queries.txt round and round for %g s each (bench/thread_bench.c) ==" %
              a.thread_seconds]
        rows = [["with snippets" if x["snip"] else "top-10", x["threads"], x["queries"],
                 f"{x['seconds']:.2f}", f"{x['qps']:.0f}", f"{x['cpu']:.2f}",
                 f"{x['qps'] / x['cpu']:.0f}" if x["cpu"] else "-"]
                for x in thr["runs"]]
        L += table(["search", "threads", "queries", "wall s", "queries/s", "CPU s per s",
                    "queries per CPU-s"], rows, ["<"] + [">"] * 6)
        L.append("2 threads ÷ 1 thread, queries/s: top-10 %s, with snippets %s (target ≥ %g; "
                 "'CPU s per s' is how many cores the run got: on a shared machine 2 threads "
                 "may get less than 2; queries per CPU-s the same with 2 threads as with 1 "
                 "means the threads do not slow each other down; load average after: %s)" %
                 (rx(thr.get(0)), rx(thr.get(1)), THREAD_TARGET, thr["load"]))

    targets = targets_list(a, irows, summ, cold, have, fsumm, thr)
    if cold:
        L += ["", "== Cold start: `csearch -i IDX --count kernel`, whole process, "
              "median of %d ==" % a.cold]
        L.append(f"csearch {cold['med']:.2f} ms (min {cold['min']:.2f}, max {cold['max']:.2f}); "
                 f"/bin/true, run before each, {cold['true_med']:.2f} ms (process start-up "
                 f"alone); csearch minus /bin/true: median {cold['net']:.2f} ms")
    if targets:
        L += ["", "== Targets of issues 6, 16 and 17 (ratios from this run) =="]
        L += table(["target", "measured", "goal", "met"],
                   [[t[0], t[1], t[2], "yes" if t[3] else "NO"] for t in targets],
                   ["<", ">", "<", "<"])
    return L, summ, fsumm, targets


def targets_list(a, irows, summ, cold, have, fsumm=None, thr=None):
    T = []
    by = {(r["engine"], r["jobs"]): r for r in irows}
    fts, xap = by.get(("fts5", 1)), by.get(("xapian", 1))
    j1, j2 = by.get(("csearch", 1)), by.get(("csearch", 2))
    if fts and j2:
        x = j2["mbs"] / fts["mbs"]
        T.append(("indexing MB/s, 2 jobs ÷ FTS5", f"{x:.2f}×", "≥ 2×", x >= 2))
    if xap and j2:
        x = j2["mbs"] / xap["mbs"]
        T.append(("indexing MB/s, 2 jobs ÷ Xapian", f"{x:.1f}×", "≥ 30×", x >= 30))
    if fts and j1:
        x = j1["mbs"] / fts["mbs"]
        T.append(("indexing MB/s, 1 job ÷ FTS5", f"{x:.2f}×", "≥ 1.2×", x >= 1.2))
        x = j1["cpu_mbs"] / fts["cpu_mbs"]
        T.append(("  the same in MB per CPU-second (steadier)", f"{x:.2f}×", "≥ 1.2×",
                  x >= 1.2))
    if j1 and j2:
        x = max(j1["rss_mb"], j2["rss_mb"])
        T.append(("peak RSS while indexing (budget 256 MB)", f"{x:.0f} MB", "≤ 256 MB + slack",
                  x <= 300))
    if fts and j1:
        x = j1["notext"] / fts["bytes"]
        T.append(("index without stored text ÷ FTS5's", f"{x:.2f}×", "≤ 0.7×", x <= 0.7))
        T.append(("index without stored text ÷ raw", f"{j1['ratio_notext']:.2f}×", "≈ 0.3×",
                  j1["ratio_notext"] <= 0.35))
    for cls, s in summ.items():
        if s["cs_best"] is not None:
            T.append((f"top-10 {cls}: csearch ÷ faster anchor", f"{s['cs_best']:.2f}×",
                      f"≤ {QUERY_TARGET}×", s["cs_best"] <= QUERY_TARGET))
    for cls, s in summ.items():
        c, t = s.get(("csearch", "count")), s.get(("csearch", "top"))
        if c is not None and t is not None:
            T.append((f"count {cls}: csearch count ÷ its top-10", f"{c / t:.2f}×", "≤ 1×",
                      c <= t))
    for cls, s in summ.items():
        x = ratio(s.get(("csearch", "snip")), s.get(("csearch", "top")))
        if x is not None:
            T.append((f"top-10 {cls}: cs +snip ÷ cs", f"{x:.2f}×", f"≤ {SNIP_TARGET:g}×",
                      x <= SNIP_TARGET))
    for cls, s in (fsumm or {}).items():
        if s["f_u"] is not None:
            T.append((f"filtered {cls}: csearch date: ÷ the same unfiltered", f"{s['f_u']:.2f}×",
                      f"≤ {FILTER_TARGET:g}×", s["f_u"] <= FILTER_TARGET))
    for cls, s in (fsumm or {}).items():
        if s["cs_best"] is not None:
            T.append((f"filtered {cls}: csearch ÷ faster anchor, both filtered",
                      f"{s['cs_best']:.2f}×", f"≤ {QUERY_TARGET}×",
                      s["cs_best"] <= QUERY_TARGET))
    for snip, what in ((0, "top-10"), (1, "top-10 with snippets")):
        x = (thr or {}).get(snip)
        if x is not None:
            T.append((f"2 threads ÷ 1 thread on one reader, queries/s, {what}", f"{x:.2f}×",
                      f"≥ {THREAD_TARGET:g}×", x >= THREAD_TARGET))
            y = thr.get(("cpu", snip))
            if y is not None:  # 1.8x on two free cores needs >= 0.9x per CPU-second
                T.append(("  the same per CPU-second (what the machine gave aside)", f"{y:.2f}×",
                          f"≥ {THREAD_TARGET / 2:g}×", y >= THREAD_TARGET / 2))
    if cold:
        T.append(("cold start, whole process", f"{cold['med']:.2f} ms", f"≤ {COLD_TARGET_MS} ms",
                  cold["med"] <= COLD_TARGET_MS))
    if a.scale > 1 and j2:
        prev = previous_scale1(a)
        if prev:
            x = j2["mbs"] / prev
            T.append((f"scale {a.scale} MB/s (2 jobs) ÷ latest scale-1 result", f"{x:.2f}×",
                      "≥ 0.8×", x >= 0.8))
    return T


def previous_scale1(a):
    """csearch --jobs 2 MB/s of the latest scale-1 run saved in --results."""
    try:
        names = sorted(f for f in os.listdir(a.results) if f.endswith("-s1-index.tsv"))
    except OSError:
        return None
    for name in reversed(names):
        with open(os.path.join(a.results, name)) as f:
            for line in f:
                c = line.rstrip("\n").split("\t")
                if c[0] == "csearch" and c[1] == "2":
                    return float(c[8])
    return None


def cold_start(a, run):
    """csearch --count kernel as a whole process, each run after one of /bin/true."""
    idx = os.path.join(run, "csearch-j1")
    log("cold start ...")
    r = measured([os.path.join(a.bindir, "coldstart"), "-n", str(a.cold), "-b", "/bin/true",
                  a.csearch, "-i", idx, "--count", "kernel"])
    c = [float(x) for x in r["out"].split()]
    return {"med": c[0], "min": c[1], "max": c[2], "true_med": c[3], "net": c[4]}


# ---------------------------------------------------------------- TSV
def write_results(a, info, vers, have, fl, irows, qrows, summ, targets, cold, lines,
                  frows=(), fsumm=None, thr=None):
    os.makedirs(a.results, exist_ok=True)
    stem = os.path.join(a.results, f"{info['stamp']}-s{a.scale}")
    head = [f"# date\t{info['date']}", f"# machine\t{info['cores']} cores ({info['usable_cores']}"
            f" usable), {info['cpu']}, {info['mem']}, Linux {info['kernel']}, host {info['host']}",
            f"# load\t{info['load_start']} -> {info['load_end']}",
            "# versions\t" + ", ".join(f"{k} {v}" for k, v in vers.items()),
            f"# scale\t{a.scale}\truns\t{a.runs}"]

    def put(suffix, cols, rows):
        with open(f"{stem}-{suffix}.tsv", "w", encoding="utf-8") as f:
            f.write("\n".join(head) + "\n" + "\t".join(cols) + "\n")
            for r in rows:
                f.write("\t".join("" if x is None else str(x) for x in r) + "\n")

    if irows or fl:
        rows = [[r["engine"], r["jobs"], r["runs"], f"{r['wall']:.3f}", f"{r['wall_min']:.3f}",
                 f"{r['wall_max']:.3f}", f"{r['cpu']:.3f}", f"{r['sys']:.3f}", f"{r['mbs']:.2f}",
                 f"{r['cpu_mbs']:.2f}", f"{r['rss_mb']:.1f}", r["bytes"], r["notext"], r["raw"],
                 f"{r['ratio']:.3f}", f"{r['ratio_notext']:.3f}"] for r in irows]
        if fl:
            raw = fl["raw"]
            rows.append(["floor-read", 1, 1, f"{fl['read_s']:.3f}", "", "", "", "",
                         f"{fl['read_mbs']:.2f}", "", "", "", "", raw, "", ""])
            rows.append(["floor-analyse", 1, 1, f"{fl['an_s']:.3f}", "", "",
                         f"{fl['an_cpu']:.3f}", "", f"{fl['an_mbs']:.2f}",
                         f"{fl['mb'] / fl['an_cpu']:.2f}", "", "", "", raw, "", ""])
        put("index", ["engine", "jobs", "runs", "wall_s", "wall_min_s", "wall_max_s", "cpu_s",
                      "sys_s", "mb_per_s", "mb_per_cpu_s", "peak_rss_mb", "index_bytes",
                      "index_bytes_no_text", "raw_bytes", "index_per_raw", "no_text_per_raw"],
            rows)
    if qrows:
        rows = []
        for r in qrows:
            for e in have:
                x = r["res"].get(e) or {}
                rows.append([r["class"], r["query"], e, x.get("top"), x.get("count"),
                             x.get("snip"), x.get("matches"),
                             x.get("engine_query") or x.get("error") or ""])
        put("queries", ["class", "query", "engine", "top10_us", "count_us", "top10_snippets_us",
                        "matches", "engine_query_or_error"], rows)
    if frows:
        rows = []
        for r in frows:
            for e in have:
                for which in ("base", "filt"):
                    x = r["res"].get((e, which)) or {}
                    rows.append([r["class"], r["query"] if which == "filt" else r["base"],
                                 "filtered" if which == "filt" else "unfiltered", e,
                                 x.get("top"), x.get("count"), x.get("matches"),
                                 x.get("engine_query") or x.get("error") or ""])
        put("filtered", ["class", "query", "kind", "engine", "top10_us", "count_us", "matches",
                         "engine_query_or_error"], rows)
    num = lambda x: re.sub(r"[^0-9.]", "", x)  # noqa: E731  "1.23×" -> 1.23
    rows = [[t[0], num(t[1]), t[2], "yes" if t[3] else "no"] for t in targets]
    for cls, s in summ.items():
        for e in have:
            rows.append([f"median top-10 µs {cls} {e}", us(s.get((e, "top"))), "", ""])
            rows.append([f"median count µs {cls} {e}", us(s.get((e, "count"))), "", ""])
    for cls, s in (fsumm or {}).items():
        for e in have:
            rows.append([f"median filtered top-10 µs {cls} {e}", us(s.get((e, "filt"))), "", ""])
        rows.append([f"median unfiltered top-10 µs {cls} csearch",
                     us(s.get(("csearch", "base"))), "", ""])
    for x in (thr or {}).get("runs", []):
        rows.append([f"queries/s threads {x['threads']} snippets {x['snip']}", f"{x['qps']:.1f}",
                     "", ""])
    if cold:
        rows.append(["cold start /bin/true ms", f"{cold['true_med']:.3f}", "", ""])
        rows.append(["cold start csearch minus /bin/true ms", f"{cold['net']:.3f}", "", ""])
    put("summary", ["metric", "value", "goal", "met"], rows)
    with open(f"{stem}.txt", "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    log(f"results: {stem}.txt and {stem}-*.tsv")


# ---------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--csearch", required=True)
    ap.add_argument("--bindir", required=True, help="where query_bench, analysis_bench, coldstart are")
    ap.add_argument("--shared", default=os.path.join(HERE, "..", "..", "shared", "bench"))
    ap.add_argument("--dir", default="/tmp/csearch-bench")
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--cold", type=int, default=20)
    ap.add_argument("--index-runs", type=int, default=3,  # BENCH_INDEX_RUNS
                    help="indexing runs of csearch and FTS5 (Xapian: one)")
    ap.add_argument("--results", default=os.path.join(HERE, "results"))
    ap.add_argument("--thread-seconds", type=float, default=3,  # BENCH_THREAD_SECS
                    help="seconds of each thread_bench run (1 and 2 threads, x2 kinds)")
    ap.add_argument("--only", default="deps,corpus,floor,index,query,filter,threads,cold")
    a = ap.parse_args()
    if a.runs < 7:
        ap.error("--runs: at least 7")
    phases = set(a.only.split(","))
    a.csearch, a.bindir = os.path.abspath(a.csearch), os.path.abspath(a.bindir)
    a.shared, a.dir, a.results = (os.path.abspath(x) for x in (a.shared, a.dir, a.results))
    now = datetime.datetime.now()
    info = machine()
    info.update(date=now.strftime("%Y-%m-%d %H:%M:%S"), stamp=now.strftime("%Y%m%d-%H%M%S"),
                load_start=loadavg())
    have = deps() if "deps" in phases else ["csearch", "xapian", "fts5"]
    vers = versions(a, have)    # now: the tree the binaries were built from
    os.makedirs(a.dir, exist_ok=True)
    corp = corpus(a)
    set_mtimes(corp)
    if not phases & {"floor", "index", "query", "filter", "threads", "cold"}:
        return
    run = os.path.join(a.dir, f"run-s{a.scale}")
    os.makedirs(run, exist_ok=True)
    fl = floor(a, corp) if "floor" in phases else None
    irows = index_all(a, corp, run, have) if "index" in phases else []
    qrows = query_all(a, run, have) if "query" in phases else []
    frows = filter_all(a, run, have) if "filter" in phases else []
    thr = threads(a, run) if "threads" in phases else None
    cold = cold_start(a, run) if "cold" in phases else None
    info["load_end"] = loadavg()
    lines, summ, fsumm, targets = report(a, info, vers, have, fl, irows, qrows, cold, corp,
                                         frows, thr)
    print("\n".join(lines))
    write_results(a, info, vers, have, fl, irows, qrows, summ, targets, cold, lines,
                  frows, fsumm, thr)


if __name__ == "__main__":
    main()
