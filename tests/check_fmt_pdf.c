/*
 * check_fmt_pdf.c — PDF and Word 97-2003 extraction (lib/extract/fmt_pdf.c,
 * fmt_doc.c, spawn.c) through the real sandboxed worker: pdftotext
 * and catdoc run under its seccomp filter.  The PDFs are written by
 * tests/fixtures/make-pdf.py (by hand, no binary in the tree) and encrypted
 * with qpdf; both come with `make deps` (scripts/deps.sh, test set).  When
 * pdftotext is missing every test fails saying so.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "civsearch.h"
#include "extract/spawn.h"
#include "extract/worker.h"
#include "suites.h"
#include "testutil.h"

static char *dir;
static cs__error err;

static void sh(const char *what, const char *fmt, const char *a, const char *b) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, fmt, a, b);
    ck_assert_msg(system(cmd) == 0, "%s failed: %s", what, cmd);
}

static void setup(void) {
    ck_assert_msg(system("pdftotext -v >/dev/null 2>&1") == 0,
                  "pdftotext is missing: install poppler-utils (make deps does)");
    dir = cs_test_tmpdir("fmtpdf");
    /* check-unit runs in tests/; a hand run may start at the top */
    const char *gen = access("fixtures/make-pdf.py", R_OK) == 0 ? "fixtures/make-pdf.py"
                                                                 : "tests/fixtures/make-pdf.py";
    sh("make-pdf.py", "python3 %s %s", gen, dir);
}
static void teardown(void) { cs_test_tmpdir_free(dir); dir = NULL; }

static char *path_of(const char *name) {
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static int open_in(const char *name) {
    int fd = open(path_of(name), O_RDONLY | O_CLOEXEC);
    ck_assert_msg(fd >= 0, "open %s", name);
    return fd;
}

static cs__worker *worker(size_t max_text) {
    cs__worker_opts o = {0};
    o.max_text = max_text;
    cs__worker *w;
    int rc = cs__worker_new(&w, &o, &err);
    ck_assert_msg(rc == 0, "worker: %s", err.msg);
    return w;
}

/* Extracts file `name` (handed to the worker as `as`) with a fresh worker. */
static int extract(const char *name, const char *as, size_t max_text, cs__doc *d) {
    int fd = open_in(name);
    cs__worker *w = worker(max_text);
    int rc = cs__worker_extract(w, fd, as, d, &err);
    /* the programs open the document anew: the shared offset never moves */
    ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 0);
    cs__worker_free(w);
    close(fd);
    return rc;
}

/* Page i of d starts with want. */
static void page_starts(const cs__doc *d, uint32_t i, const char *want) {
    ck_assert_uint_lt(i, d->npages);
    uint32_t at = d->pages[i];
    ck_assert_msg(d->text.len - at >= strlen(want) &&
                  !memcmp(d->text.data + at, want, strlen(want)),
                  "page %u starts with \"%.20s\", not \"%s\"", i + 1,
                  (const char *)d->text.data + at, want);
}

/* The report's four pages, fields and text, whatever it is named. */
static void is_report(const cs__doc *d) {
    ck_assert_str_eq(d->format, CS_FMT_PDF);
    ck_assert_uint_eq(d->npages, 4);
    ck_assert_uint_eq(d->pages[0], 0);
    page_starts(d, 0, "Civic space report\nFreedom of assembly on page one.");
    page_starts(d, 1, "Second page: the right to protest.");
    page_starts(d, 2, "Права человека\nСвобода собраний");
    page_starts(d, 3, "Fourth page ends the report.");
    ck_assert_ptr_null(memchr(d->text.data, '\f', d->text.len));
    ck_assert_int_eq(cs_utf8_check((const char *)d->text.data, d->text.len, NULL), 0);
    ck_assert_str_eq(d->title, "Civic Space Report 2024");
    ck_assert_str_eq(d->author, "Анна Петрова");
    ck_assert_str_eq(d->date, "2024-03-15");
}

START_TEST(pages_fields_cyrillic) {
    cs__doc d;
    int rc = extract("report.pdf", "report.pdf", 0, &d);
    ck_assert_msg(rc == 0, "rc %d: %s", rc, err.msg);
    is_report(&d);
    ck_assert_str_eq(d.warning, "");
    cs__doc_free(&d);
}
END_TEST

/* The content decides: a PDF named .txt is a PDF (no promise broken: no
 * warning); named .doc it is a PDF too, with a warning saying so. */
START_TEST(hidden_under_other_names) {
    char in[512], out[512];
    snprintf(in, sizeof in, "%s", path_of("report.pdf"));
    snprintf(out, sizeof out, "%s", path_of("notes.txt"));
    sh("cp", "cp %s %s", in, out);
    cs__doc d;
    int rc = extract("notes.txt", "notes.txt", 0, &d);
    ck_assert_msg(rc == 0, "rc %d: %s", rc, err.msg);
    is_report(&d);
    ck_assert_str_eq(d.warning, "");
    cs__doc_free(&d);
    rc = extract("report.pdf", "letter.doc", 0, &d);
    ck_assert_msg(rc == 0, "rc %d: %s", rc, err.msg);
    is_report(&d);
    ck_assert_str_eq(d.warning, "named .doc but is pdf: indexed as pdf");
    cs__doc_free(&d);
}
END_TEST

START_TEST(encrypted) {
    char in[512], out[512];
    snprintf(in, sizeof in, "%s", path_of("report.pdf"));
    snprintf(out, sizeof out, "%s", path_of("locked.pdf"));
    sh("qpdf", "qpdf --encrypt secret owner 256 -- %s %s", in, out);
    cs__doc d;
    int rc = extract("locked.pdf", "locked.pdf", 0, &d);
    ck_assert_int_eq(rc, CS_ERROR);
    ck_assert_str_eq(err.msg, "encrypted PDF (a password is needed)");
    ck_assert_uint_eq(d.text.len, 0);
    cs__doc_free(&d);
    /* encrypted with an empty user password: readable, as by any viewer */
    snprintf(out, sizeof out, "%s", path_of("owner.pdf"));
    sh("qpdf", "qpdf --encrypt '' owner 256 -- %s %s", in, out);
    rc = extract("owner.pdf", "owner.pdf", 0, &d);
    ck_assert_msg(rc == 0, "rc %d: %s", rc, err.msg);
    is_report(&d);
    cs__doc_free(&d);
}
END_TEST

/* A damaged PDF fails with CS_ECORRUPT and pdftotext's reason. */
static void damaged(const char *name, const char *reason) {
    cs__doc d;
    int rc = extract(name, name, 0, &d);
    ck_assert_msg(rc == CS_ECORRUPT, "%s: rc %d (%s)", name, rc, err.msg);
    ck_assert_msg(!strncmp(err.msg, "damaged PDF: ", 13) && strstr(err.msg, reason),
                  "%s: \"%s\" lacks \"%s\"", name, err.msg, reason);
    cs__doc_free(&d);
}

START_TEST(damaged_and_garbage) {
    damaged("truncated.pdf", "Couldn't find trailer dictionary");
    damaged("garbage.pdf", "Syntax Error");
    /* random bytes named .pdf are no PDF: the content decides (binary) */
    cs__doc d;
    int rc = extract("random.pdf", "random.pdf", 0, &d);
    ck_assert_msg(rc == CS_EBINARY, "rc %d (%s)", rc, err.msg);
    cs__doc_free(&d);
}
END_TEST

/* pdftotext -htmlmeta escapes the head, not the text: both come back as
 * written, a "</pre>" in the text included */
START_TEST(escapes) {
    cs__doc d;
    int rc = extract("escapes.pdf", "escapes.pdf", 0, &d);
    ck_assert_msg(rc == 0, "rc %d: %s", rc, err.msg);
    ck_assert_str_eq(d.title, "Rights & <Freedoms> \"2024\"");
    ck_assert_str_eq(d.author, "O'Brien & Co");
    cs__buf_byte(&d.text, 0);
    ck_assert_msg(strstr((const char *)d.text.data, "a < b & c > d, \"quoted\" </pre>"), "%s",
                  (const char *)d.text.data);
    ck_assert_msg(strstr((const char *)d.text.data, "</body>"), "%s", (const char *)d.text.data);
    ck_assert_msg(!strstr((const char *)d.text.data, "<title>"), "%s", (const char *)d.text.data);
    cs__doc_free(&d);
}
END_TEST

START_TEST(text_cap) {
    cs__doc d;
    int rc = extract("long.pdf", "long.pdf", 10000, &d);
    ck_assert_msg(rc == 0, "rc %d: %s", rc, err.msg);
    ck_assert_uint_le(d.text.len, 10000);
    ck_assert_uint_gt(d.text.len, 9900);
    ck_assert_msg(strstr(d.warning, "text indexed"), "warning \"%s\"", d.warning);
    /* 20 pages of 1,473 bytes: the first six whole, the seventh cut */
    ck_assert_uint_eq(d.npages, 7);
    page_starts(&d, 1, "Page 2 line 1 of");
    page_starts(&d, 6, "Page 7 line 1 of");
    ck_assert_uint_eq(d.pages[6], 6 * 1473);
    cs__doc_free(&d);
    rc = extract("long.pdf", "long.pdf", 0, &d);
    ck_assert_msg(rc == 0, "rc %d: %s", rc, err.msg);
    ck_assert_uint_eq(d.npages, 20);
    page_starts(&d, 19, "Page 20 line 1 of");
    ck_assert_str_eq(d.title, "Long");
    ck_assert_ptr_null(d.author);
    ck_assert_ptr_null(d.date);
    cs__doc_free(&d);
}
END_TEST

/* Without a descriptor (fuzzing, in-process tests) nothing is run. */
START_TEST(no_descriptor) {
    cs__doc d;
    cs__doc_init(&d);
    cs__extract_limits lim;
    cs__extract_limits_default(&lim);
    const char *pdf = "%PDF-1.4\n%%EOF\n";
    int rc = cs__extract(&d, "a.pdf", (const unsigned char *)pdf, strlen(pdf), &lim, &err);
    ck_assert_int_eq(rc, CS_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "pdftotext"));
    cs__doc_free(&d);
}
END_TEST

/* With PATH naming no directory of programs, the helper finds none. */
START_TEST(programs_missing) {
    static const unsigned char ole[] = "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 not really";
    FILE *f = fopen(path_of("old.doc"), "wb");
    ck_assert_ptr_nonnull(f);
    fwrite(ole, 1, sizeof ole - 1, f);
    fclose(f);
    char *path = strdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    setenv("PATH", "/nonexistent", 1);
    cs__doc d;
    int rc = extract("report.pdf", "report.pdf", 0, &d);
    int rc2 = rc;
    char msg[CS_ERRMSG_MAX];
    snprintf(msg, sizeof msg, "%s", err.msg);
    cs__doc_free(&d);
    rc = extract("old.doc", "old.doc", 0, &d);
    setenv("PATH", path, 1);
    free(path);
    ck_assert_int_eq(rc2, CS_EBINARY);
    ck_assert_str_eq(msg, "PDF needs pdftotext (Debian package poppler-utils)");
    ck_assert_int_eq(rc, CS_EBINARY);
    ck_assert_str_eq(err.msg, "Word 97-2003 .doc needs catdoc or antiword (Debian packages)");
    cs__doc_free(&d);
    /* with catdoc installed, the broken OLE file is said to be damaged */
    if (system("catdoc -V >/dev/null 2>&1") == 0) {
        rc = extract("old.doc", "old.doc", 0, &d);
        ck_assert_msg(rc == CS_ECORRUPT, "rc %d (%s)", rc, err.msg);
        ck_assert_msg(strstr(err.msg, "damaged or not a Word document: "), "%s", err.msg);
        cs__doc_free(&d);
    }
}
END_TEST

/* cs__spawn in this process: the program gets the document as stdin and
 * no other descriptor of ours (fd 57 here has no O_CLOEXEC, as the
 * helper's socket on fd 3), SIGPIPE back at its default although we ignore
 * it, and a program not found is CS_ENOTFOUND. */
START_TEST(spawn_what_the_child_gets) {
    int fd = open_in("report.pdf");
    ck_assert_int_eq(dup2(fd, 57), 57);
    struct sigaction ign = {0}, old;
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &old);
    char *argv[] = {"sh", "-c",
                    "head -c 5; echo; ls /proc/self/fd | tr '\\n' ' '; echo; "
                    "grep SigIgn /proc/self/status",
                    NULL};
    cs__child c;
    ck_assert_int_eq(cs__spawn(&c, argv, fd, &err), 0);
    cs__buf out = {0};
    cs__spawn_result r;
    ck_assert_int_eq(cs__spawn_wait(&c, &out, 1 << 20, &r, &err), 0);
    sigaction(SIGPIPE, &old, NULL);
    close(57);
    cs__buf_byte(&out, 0);
    const char *o = (const char *)out.data;
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(!strncmp(o, "%PDF-", 5), "%s", o);
    /* ls's own descriptors: 0 1 2 and the one it reads the directory by */
    ck_assert_msg(strstr(o, "\n0 1 2 3 \n"), "%s", o);
    unsigned long long ignored = 0;
    const char *sig = strstr(o, "SigIgn:");
    ck_assert_ptr_nonnull(sig);
    ck_assert_int_eq(sscanf(sig, "SigIgn: %llx", &ignored), 1);
    ck_assert_msg(!(ignored & (1ull << (SIGPIPE - 1))), "%s", o);
    cs__buf_free(&out);
    char *none[] = {"csearch-no-such-program", NULL};
    ck_assert_int_eq(cs__spawn(&c, none, fd, &err), CS_ENOTFOUND);
    close(fd);
}
END_TEST

Suite *fmt_pdf_suite(void) {
    Suite *s = suite_create("fmt_pdf");
    TCase *t = tcase_create("pdf");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 30);
    tcase_add_test(t, pages_fields_cyrillic);
    tcase_add_test(t, hidden_under_other_names);
    tcase_add_test(t, encrypted);
    tcase_add_test(t, damaged_and_garbage);
    tcase_add_test(t, text_cap);
    tcase_add_test(t, escapes);
    tcase_add_test(t, no_descriptor);
    tcase_add_test(t, programs_missing);
    tcase_add_test(t, spawn_what_the_child_gets);
    suite_add_tcase(s, t);
    return s;
}
