/*
 * check_fmt_markup.c — HTML (lib/extract/fmt_html.c), DOCX, ODT and EPUB
 * (fmt_zip.c) through the dispatcher cs__extract, so that sniffing is
 * tested too.  Fixtures are made here: HTML strings, and zips built in
 * memory with libzip.  Hostile inputs: a truncated zip, garbage after the
 * zip magic, a zip bomb (also with lying header sizes), a member over
 * max_member, members sharing their compressed data, 300,000 nested
 * <div>, an XML entity bomb, a DOCX without its body, an EPUB href that
 * climbs out of the archive, undefined and invalid charset bytes.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zip.h>

#include "extract/extract.h"
#include "suites.h"

static cs__doc doc;
static cs__error err;
static cs__extract_limits lim;
static char *text; /* doc.text, NUL-terminated */

static void setup(void) {
    cs__doc_init(&doc);
    cs__extract_limits_default(&lim);
    err.msg[0] = '\0';
    text = NULL;
}
static void teardown(void) {
    cs__doc_free(&doc);
    free(text);
}

/* Extracts buf as the file name; text gets the result's text. */
static int ex(const char *name, const void *buf, size_t len) {
    cs__doc_free(&doc);
    free(text);
    text = NULL;
    int rc = cs__extract(&doc, name, buf, len, &lim, &err);
    text = strndup(doc.text.data ? (const char *)doc.text.data : "", doc.text.len);
    ck_assert_ptr_nonnull(text);
    if (!rc) ck_assert_int_eq(cs_utf8_check(text, doc.text.len, NULL), 0);
    return rc;
}
static int ex_str(const char *name, const char *s) { return ex(name, s, strlen(s)); }

#define HAS(s) ck_assert_msg(strstr(text, s) != NULL, "[%s] not in [%s]", s, text)
#define HASNT(s) ck_assert_msg(strstr(text, s) == NULL, "[%s] in [%s]", s, text)
#define STREQ(a, b) ck_assert_msg((a) && !strcmp(a, b), "got [%s], want [%s]", (a) ? (a) : "(null)", b)

/* ---- HTML ---------------------------------------------------------------- */

START_TEST(html_text_and_fields) {
    const char *h =
        "<!DOCTYPE html><html><head><title>Civil  Rights\n Report</title>"
        "<meta name=\"author\" content=\"Anna Petrova\">"
        "<meta property=\"article:published_time\" content=\"2024-03-15T10:00:00Z\">"
        "<style>p { color: stylecolor }</style><script>var scriptword = 1;</script></head>"
        "<body><!-- commentword --><p>Fish &amp; chips, caf&eacute; &#1055;&#1088;&#1072;&#1074;&#1072;</p>"
        "<p>Civil&nbsp;society civ<b>il</b>ised</p><p>one</p><p>two</p><div>three</div>four"
        "<table><tr><td>cellA</td><td>cellB</td></tr><tr><th>cellC</th></tr></table>"
        "line<br>break<h2>head</h2>tail<li>item</li>end"
        "<template>tmplword</template><noscript>nsword</noscript>"
        "<script>alert('scriptword2')</script></body></html>";
    ck_assert_int_eq(ex_str("page.html", h), 0);
    STREQ(doc.format, CS_FMT_HTML);
    HAS("Fish & chips, caf\xC3\xA9 \xD0\x9F\xD1\x80\xD0\xB0\xD0\xB2\xD0\xB0");
    HAS("Civil\xC2\xA0society");
    HAS("civilised");
    HASNT("onetwo"); HASNT("twothree"); HASNT("threefour");
    HASNT("cellAcellB"); HASNT("cellBcellC");
    HASNT("linebreak"); HASNT("breakhead"); HASNT("headtail"); HASNT("tailitem"); HASNT("itemend");
    HAS("cellA"); HAS("line"); HAS("item");
    HASNT("stylecolor"); HASNT("scriptword"); HASNT("commentword"); HASNT("tmplword");
    HASNT("nsword"); HASNT("Report"); /* the title is a field, not body text */
    STREQ(doc.title, "Civil Rights Report");
    STREQ(doc.author, "Anna Petrova");
    STREQ(doc.date, "2024-03-15");
    STREQ(doc.encoding, "UTF-8");
}
END_TEST

static int count_token(void *ud, const cs_token *t) {
    (void)t;
    ++*(int *)ud;
    return 0;
}

/* The analyser takes the NBSP that &nbsp; becomes for a word break, and an
 * inline element's two halves for one word. */
START_TEST(html_words_as_analysed) {
    ck_assert_int_eq(ex_str("w.html", "<p>Civil&nbsp;society civ<b>il</b> one<p>two"), 0);
    cs_analyzer *a;
    ck_assert_int_eq(cs_analyzer_new(&a), 0);
    int n = 0;
    ck_assert_int_eq(cs_analyze(a, text, strlen(text), count_token, &n, NULL), 0);
    cs_analyzer_free(a);
    ck_assert_int_eq(n, 5); /* civil, society, civil, one, two */
}
END_TEST

START_TEST(html_meta_variants) {
    ck_assert_int_eq(ex_str("a.htm", "<html><head><meta name=\"DC.creator\" content=\"Ivan\">"
                                     "<meta name=\"dcterms.date\" content=\"2021-07\">"
                                     "<meta property=\"og:title\" content=\"OG Title\"></head>"
                                     "<body>x</body></html>"), 0);
    STREQ(doc.author, "Ivan");
    STREQ(doc.date, "2021-07");
    STREQ(doc.title, "OG Title");
    /* <title> wins over og:title, wherever it is */
    ck_assert_int_eq(ex_str("b.htm", "<html><head><meta property=\"og:title\" content=\"OG\">"
                                     "<title>Real</title></head><body>x</body></html>"), 0);
    STREQ(doc.title, "Real");
    /* sniffed by content whatever the name says */
    ck_assert_int_eq(ex_str("notes.txt", "<!doctype html><p>sniffed</p>"), 0);
    STREQ(doc.format, CS_FMT_HTML);
    HAS("sniffed");
}
END_TEST

/* "Права человека" in windows-1251 */
#define CP1251 "\xCF\xF0\xE0\xE2\xE0 \xF7\xE5\xEB\xEE\xE2\xE5\xEA\xE0"
#define UTF8RU "\xD0\x9F\xD1\x80\xD0\xB0\xD0\xB2\xD0\xB0 \xD1\x87\xD0\xB5\xD0\xBB\xD0\xBE\xD0\xB2\xD0\xB5\xD0\xBA\xD0\xB0"

START_TEST(html_charsets) {
    ck_assert_int_eq(ex_str("a.html", "<html><head><meta charset=\"windows-1251\"></head>"
                                      "<body><p>" CP1251 "</p></body></html>"), 0);
    HAS(UTF8RU);
    STREQ(doc.encoding, "windows-1251");
    ck_assert_int_eq(ex_str("b.html", "<html><head><META HTTP-EQUIV=\"Content-Type\" "
                                      "CONTENT=\"text/html; charset=windows-1251\"></head>"
                                      "<body><p>" CP1251 "</p></body></html>"), 0);
    HAS(UTF8RU);
    /* undeclared: guessed */
    ck_assert_int_eq(ex_str("c.html", "<html><body><p>" CP1251 " " CP1251 "</p></body></html>"), 0);
    HAS(UTF8RU);
    STREQ(doc.encoding, "windows-1251");
    ck_assert_int_eq(ex_str("d.html", "<html><body><p>Un caf\xE9 na\xEFve ici, "
                                      "le d\xE9j\xE0 vu</p></body></html>"), 0);
    HAS("caf\xC3\xA9 na\xC3\xAFve");
    STREQ(doc.encoding, "windows-1252");
    /* the declaration wins over the guess; a BOM over the declaration */
    ck_assert_int_eq(ex_str("e.html", "<html><head><meta charset=\"iso-8859-1\"></head>"
                                      "<body>caf\xE9</body></html>"), 0);
    HAS("caf\xC3\xA9");
    ck_assert_int_eq(ex_str("f.html", "\xEF\xBB\xBF<html><head><meta charset=\"windows-1251\">"
                                      "</head><body>" UTF8RU "</body></html>"), 0);
    HAS(UTF8RU);
    ck_assert_msg(text[0] != '\xEF', "BOM kept");
    /* bytes windows-1252 leaves undefined (0x81, 0x8D, ...) do not stop the parse */
    ck_assert_int_eq(ex_str("i.html", "<html><body>caf\xE9 \x81\x8D\x90 \x93quoted\x94 "
                                      "afterword</body></html>"), 0);
    STREQ(doc.encoding, "windows-1252");
    HAS("\xE2\x80\x9Cquoted\xE2\x80\x9D afterword");
    ck_assert_int_eq(ex_str("j.html", "<html><head><meta charset=\"windows-1251\"></head>"
                                      "<body>" CP1251 " \x98 afterword</body></html>"), 0);
    HAS(UTF8RU); HAS("afterword");
    /* a charset that cannot decode the bytes: the loss is said */
    ck_assert_int_eq(ex_str("k.html", "<html><head><meta charset=\"shift_jis\"></head><body>"
                                      "beforeword \xFF\xFF afterword</body></html>"), 0);
    HAS("beforeword");
    ck_assert_msg(strstr(doc.warning, "charset does not define") != NULL, "[%s]", doc.warning);
    /* declared UTF-8 but not: the text stays valid UTF-8 (ex() checks) */
    ck_assert_int_eq(ex_str("g.html", "<html><head><meta charset=\"utf-8\"></head>"
                                      "<body>caf\xE9 ok\xC3</body></html>"), 0);
    HAS("caf");
    /* NUL bytes do not hide a bad byte from the guess */
    ck_assert_int_eq(ex("h.html", "<html><body>caf\xE9<p>\0x</p></body></html>", 33), 0);
    STREQ(doc.encoding, "windows-1252");
}
END_TEST

START_TEST(html_deep_nesting) {
    size_t n = 300000;
    char *h = malloc(n * 5 + 64);
    ck_assert_ptr_nonnull(h);
    size_t k = (size_t)sprintf(h, "<html><body>startword");
    for (size_t i = 0; i < n; i++) memcpy(h + k, "<div>", 5), k += 5;
    k += (size_t)sprintf(h + k, "deepword");
    clock_t t0 = clock();
    int rc = ex("deep.html", h, k);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    ck_assert_int_eq(rc, 0);
    HAS("startword");
    ck_assert_msg(secs < 3.0, "300,000 nested <div>: %.1f s", secs);
    /* libxml2 stops at 256 levels: the rest is left out, and said */
    HASNT("deepword");
    ck_assert_msg(strstr(doc.warning, "nested deeper than 256") != NULL, "[%s]", doc.warning);
    /* the walker's own limit, lim->max_depth */
    k = (size_t)sprintf(h, "<html><body>startword");
    for (size_t i = 0; i < 20; i++) memcpy(h + k, "<div>", 5), k += 5;
    k += (size_t)sprintf(h + k, "deepword");
    ck_assert_int_eq(ex("deep.html", h, k), 0);
    HAS("deepword");
    ck_assert_str_eq(doc.warning, "");
    lim.max_depth = 10;
    ck_assert_int_eq(ex("deep.html", h, k), 0);
    HAS("startword");
    HASNT("deepword");
    ck_assert_msg(strstr(doc.warning, "nested deeper than 10") != NULL, "[%s]", doc.warning);
    free(h);
}
END_TEST

/* ---- zips built in memory ------------------------------------------------ */

typedef struct zfile { const char *name; const char *data; size_t len; } zfile;

/* A zip of the files (len 0: strlen), deflated (stored when store), in
 * malloc'd memory. */
static unsigned char *mkzip(const zfile *f, size_t n, size_t *len) {
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(NULL, 0, 0, &ze);
    ck_assert_ptr_nonnull(src);
    zip_t *z = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
    ck_assert_ptr_nonnull(z);
    zip_source_keep(src);
    for (size_t i = 0; i < n; i++) {
        size_t l = f[i].len ? f[i].len : strlen(f[i].data);
        zip_source_t *s = zip_source_buffer(z, f[i].data, l, 0);
        ck_assert_ptr_nonnull(s);
        zip_int64_t ix = zip_file_add(z, f[i].name, s, ZIP_FL_ENC_UTF_8);
        ck_assert_int_ge(ix, 0);
        if (!strcmp(f[i].name, "mimetype"))
            zip_set_file_compression(z, (zip_uint64_t)ix, ZIP_CM_STORE, 0);
    }
    ck_assert_int_eq(zip_close(z), 0);
    ck_assert_int_eq(zip_source_open(src), 0);
    zip_source_seek(src, 0, SEEK_END);
    zip_int64_t sz = zip_source_tell(src);
    zip_source_seek(src, 0, SEEK_SET);
    unsigned char *out = malloc((size_t)sz + 1);
    ck_assert_ptr_nonnull(out);
    ck_assert_int_eq(zip_source_read(src, out, (zip_uint64_t)sz), sz);
    zip_source_close(src);
    zip_source_free(src);
    zip_error_fini(&ze);
    *len = (size_t)sz;
    return out;
}

#define W "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\""
#define P(t) "<w:p><w:r><w:t>" t "</w:t></w:r></w:p>"
static const char docx_body[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>"
    "<w:document " W " xmlns:wp=\"http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing\">"
    "<w:body>" P("Human rights defenders") P(UTF8RU)
    "<w:p><w:r><w:t>first</w:t></w:r><w:r><w:t xml:space=\"preserve\">half </w:t><w:t>joined</w:t></w:r>"
    "<w:r><w:tab/><w:t>tabbed</w:t><w:br/><w:t>broken</w:t></w:r>"
    "<w:del><w:r><w:delText>deletedword</w:delText></w:r></w:del>"
    "<w:r><w:instrText>HYPERLINK fieldcode</w:instrText></w:r>"
    "<w:r><wp:posOffset>914400</wp:posOffset></w:r></w:p>"
    "<w:tbl><w:tr><w:tc>" P("cellA") "</w:tc><w:tc><w:p><w:r><w:t>cellB</w:t></w:r></w:p></w:tc></w:tr>"
    "<w:tr><w:tc><w:p><w:r><w:t>cellC</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
    P("lastbody") "</w:body></w:document>";
static const char docx_notes[] =
    "<?xml version=\"1.0\"?><w:footnotes " W "><w:footnote w:type=\"separator\" w:id=\"-1\">"
    "<w:p><w:r><w:separator/></w:r></w:p></w:footnote><w:footnote w:id=\"1\">"
    P("footnoteword") "</w:footnote></w:footnotes>";
static const char docx_core[] =
    "<?xml version=\"1.0\"?><cp:coreProperties "
    "xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" "
    "xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" "
    "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><dc:title>Annual Report</dc:title>"
    "<dc:creator>Maria Ivanova</dc:creator><cp:lastModifiedBy>Someone</cp:lastModifiedBy>"
    "<dcterms:created xsi:type=\"dcterms:W3CDTF\">2023-11-02T09:30:00Z</dcterms:created>"
    "</cp:coreProperties>";
static const char content_types[] = "<?xml version=\"1.0\"?><Types/>";

START_TEST(docx_text_and_fields) {
    zfile f[] = {{"[Content_Types].xml", content_types, 0}, {"word/document.xml", docx_body, 0},
                 {"word/footnotes.xml", docx_notes, 0}, {"docProps/core.xml", docx_core, 0}};
    size_t len;
    unsigned char *z = mkzip(f, 4, &len);
    int rc = ex("report.docx", z, len);
    ck_assert_msg(rc == 0, "rc %d: %s", rc, err.msg);
    STREQ(doc.format, CS_FMT_DOCX);
    HAS("Human rights defenders"); HAS(UTF8RU);
    HAS("firsthalf joined"); HASNT("joinedtabbed"); HAS("tabbed"); HASNT("tabbedbroken");
    HASNT("deletedword"); HASNT("fieldcode"); HASNT("914400");
    HASNT("cellAcellB"); HASNT("cellBcellC"); HAS("cellB");
    HAS("footnoteword");
    ck_assert_msg(strstr(text, "footnoteword") > strstr(text, "lastbody"), "notes after the body");
    HASNT("Human rights defenders" UTF8RU);
    STREQ(doc.title, "Annual Report");
    STREQ(doc.author, "Maria Ivanova");
    STREQ(doc.date, "2023-11-02");
    ck_assert_str_eq(doc.warning, "");
    /* the content decides: a DOCX named .odt is a DOCX, with a warning */
    ck_assert_int_eq(ex("report.odt", z, len), 0);
    STREQ(doc.format, CS_FMT_DOCX);
    ck_assert_msg(strstr(doc.warning, "named .odt") != NULL, "warning [%s]", doc.warning);
    free(z);
}
END_TEST

static const char odt_content[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?><office:document-content "
    "xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" "
    "xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" "
    "xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\">"
    "<office:automatic-styles><style>stylename</style></office:automatic-styles>"
    "<office:body><office:text><text:tracked-changes><text:changed-region><text:deletion>"
    "<text:p>removedword</text:p></text:deletion></text:changed-region></text:tracked-changes>"
    "<text:h text:outline-level=\"1\">Heading</text:h><text:p>Freedom of<text:s text:c=\"3\"/>"
    "assembly<text:tab/>tabbed<text:line-break/>broken</text:p><text:p>" UTF8RU "</text:p>"
    "<text:p>noted<text:note text:note-class=\"footnote\"><text:note-citation>7</text:note-citation>"
    "<text:note-body><text:p>notebody</text:p></text:note-body></text:note></text:p>"
    "<table:table><table:table-row><table:table-cell><text:p>cellA</text:p></table:table-cell>"
    "<table:table-cell><text:p>cellB</text:p></table:table-cell></table:table-row>"
    "<table:table-row><table:table-cell><text:p>cellC</text:p></table:table-cell></table:table-row>"
    "</table:table></office:text></office:body></office:document-content>";
static const char odt_meta[] =
    "<?xml version=\"1.0\"?><office:document-meta "
    "xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" "
    "xmlns:meta=\"urn:oasis:names:tc:opendocument:xmlns:meta:1.0\" "
    "xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><office:meta>"
    "<meta:initial-creator>Olga Smirnova</meta:initial-creator><dc:title>ODT Title</dc:title>"
    "<meta:creation-date>2022-05-06T12:00:00</meta:creation-date><dc:date>2023-01-01T00:00:00</dc:date>"
    "</office:meta></office:document-meta>";

START_TEST(odt_text_and_fields) {
    zfile f[] = {{"mimetype", "application/vnd.oasis.opendocument.text", 0},
                 {"content.xml", odt_content, 0}, {"meta.xml", odt_meta, 0}};
    size_t len;
    unsigned char *z = mkzip(f, 3, &len);
    int rc = ex("minutes.odt", z, len);
    ck_assert_msg(rc == 0, "rc %d: %s", rc, err.msg);
    STREQ(doc.format, CS_FMT_ODT);
    HAS("Heading"); HASNT("Headingfreedom"); HAS("Freedom of assembly");
    HASNT("assemblytabbed"); HASNT("tabbedbroken"); HAS(UTF8RU);
    HASNT("removedword"); HASNT("stylename"); HASNT("noted7"); HAS("notebody"); HASNT("notednotebody");
    HASNT("cellAcellB"); HASNT("cellBcellC"); HAS("cellC");
    STREQ(doc.title, "ODT Title");
    STREQ(doc.author, "Olga Smirnova");
    STREQ(doc.date, "2022-05-06");
    free(z);
    /* without a mimetype member: content.xml and meta.xml make an ODT */
    z = mkzip(f + 1, 2, &len);
    ck_assert_int_eq(ex("minutes.zip", z, len), 0);
    STREQ(doc.format, CS_FMT_ODT);
    HAS("Freedom of assembly");
    free(z);
}
END_TEST

static const char epub_container[] =
    "<?xml version=\"1.0\"?><container version=\"1.0\" "
    "xmlns=\"urn:oasis:names:tc:opendocument:xmlns:container\"><rootfiles>"
    "<rootfile full-path=\"OEBPS/content.opf\" media-type=\"application/oebps-package+xml\"/>"
    "</rootfiles></container>";
static const char epub_opf[] =
    "<?xml version=\"1.0\"?><package xmlns=\"http://www.idpf.org/2007/opf\" version=\"3.0\">"
    "<metadata xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><dc:title>The Book</dc:title>"
    "<dc:creator>Lev Tolstoy</dc:creator><dc:date>1869</dc:date></metadata><manifest>"
    "<item id=\"c2\" href=\"text/chapter%202.xhtml#top\" media-type=\"application/xhtml+xml\"/>"
    "<item id=\"css\" href=\"style.css\" media-type=\"text/css\"/>"
    "<item id=\"c1\" href=\"./text/../text/ch1.xhtml\" media-type=\"application/xhtml+xml\"/>"
    "<item id=\"evil\" href=\"../../secret.xhtml\" media-type=\"application/xhtml+xml\"/>"
    "</manifest><spine><itemref idref=\"c1\"/><itemref idref=\"css\"/><itemref idref=\"evil\"/>"
    "<itemref idref=\"c2\"/><itemref idref=\"c1\"/></spine></package>";
static const char epub_ch1[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?><!DOCTYPE html><html xmlns=\"http://www.w3.org/1999/xhtml\">"
    "<head><title>Chapter One</title><style>p{}</style></head><body><h1>Book</h1>"
    "<p>Well,&#160;Prince, so Genoa<br/>and Lucca</p><p>one</p><p>two</p></body></html>";
static const char epub_ch2[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\"?><html xmlns=\"http://www.w3.org/1999/xhtml\">"
    "<head><title>Chapter Two</title></head><body><p>" UTF8RU "</p><p>endword</p></body></html>";

START_TEST(epub_text_and_fields) {
    zfile f[] = {{"mimetype", "application/epub+zip", 0},
                 {"META-INF/container.xml", epub_container, 0},
                 {"OEBPS/content.opf", epub_opf, 0},
                 {"OEBPS/text/chapter 2.xhtml", epub_ch2, 0},
                 {"OEBPS/text/ch1.xhtml", epub_ch1, 0},
                 {"OEBPS/style.css", "body { cssword: 1 }", 0},
                 {"secret.xhtml", "<html><body>secretword</body></html>", 0}};
    size_t len;
    unsigned char *z = mkzip(f, 7, &len);
    int rc = ex("war.epub", z, len);
    ck_assert_msg(rc == 0, "rc %d: %s", rc, err.msg);
    STREQ(doc.format, CS_FMT_EPUB);
    HAS("Well,\xC2\xA0Prince"); HASNT("Genoaand"); HASNT("onetwo"); HAS(UTF8RU);
    HASNT("secretword"); HASNT("cssword"); HASNT("Chapter One");
    ck_assert_msg(strstr(text, "Lucca") < strstr(text, "endword"), "spine order");
    ck_assert_msg(strstr(text, "Lucca") == strrchr(text, 'L') || strstr(strstr(text, "Lucca") + 1, "Lucca") == NULL,
                  "a chapter listed twice is read once");
    STREQ(doc.title, "The Book");
    STREQ(doc.author, "Lev Tolstoy");
    STREQ(doc.date, "1869");
    ck_assert_msg(strstr(doc.warning, "outside") != NULL, "warning [%s]", doc.warning);
    free(z);
}
END_TEST

/* ---- hostile zips -------------------------------------------------------- */

START_TEST(zip_damaged) {
    zfile f[] = {{"word/document.xml", docx_body, 0}, {"docProps/core.xml", docx_core, 0}};
    size_t len;
    unsigned char *z = mkzip(f, 2, &len);
    ck_assert_int_eq(ex("cut.docx", z, len / 2), CS_ECORRUPT);
    ck_assert_msg(strstr(err.msg, "zip") != NULL, "msg [%s]", err.msg);
    /* a damaged member inside an intact directory */
    unsigned char *copy = malloc(len);
    memcpy(copy, z, len);
    for (size_t i = 40; i < 200; i++) copy[i] ^= 0x5A;
    ck_assert_int_lt(ex("flipped.docx", copy, len), 0);
    free(copy);
    free(z);
    /* random bytes after the magic */
    unsigned char junk[4096] = "PK\3\4";
    srand(7);
    for (size_t i = 4; i < sizeof junk; i++) junk[i] = (unsigned char)rand();
    ck_assert_int_eq(ex("junk.docx", junk, sizeof junk), CS_ECORRUPT);
    ck_assert_int_eq(ex("magic.docx", "PK\3\4", 4), CS_ECORRUPT);
}
END_TEST

START_TEST(zip_not_a_document) {
    zfile f[] = {{"readme.txt", "plain words", 0}};
    size_t len;
    unsigned char *z = mkzip(f, 1, &len);
    ck_assert_int_eq(ex("files.zip", z, len), CS_EBINARY);
    ck_assert_str_eq(err.msg, "zip archive");
    free(z);
    /* a DOCX without its body */
    zfile g[] = {{"[Content_Types].xml", content_types, 0}, {"word/styles.xml", "<styles/>", 0},
                 {"docProps/core.xml", docx_core, 0}};
    z = mkzip(g, 3, &len);
    ck_assert_int_eq(ex("empty.docx", z, len), CS_ECORRUPT);
    ck_assert_msg(strstr(err.msg, "word/document.xml") != NULL, "msg [%s]", err.msg);
    free(z);
}
END_TEST

START_TEST(zip_bomb) {
    size_t big = (size_t)40 << 20; /* 40 MB of zeros: about 40 KB deflated */
    char *zeros = calloc(1, big);
    ck_assert_ptr_nonnull(zeros);
    zfile f[] = {{"word/document.xml", zeros, big}};
    size_t len;
    unsigned char *z = mkzip(f, 1, &len);
    free(zeros);
    ck_assert_uint_lt(len, (size_t)1 << 20);
    int rc = ex("bomb.docx", z, len);
    ck_assert_int_eq(rc, CS_ELIMIT);
    ck_assert_msg(strstr(err.msg, "word/document.xml") && strstr(err.msg, "limit 200:1"),
                  "msg [%s]", err.msg);
    /* the header's sizes lie (small): still refused, by what was read */
    for (size_t i = 0; i + 30 < len; i++) {
        if (!memcmp(z + i, "PK\3\4", 4)) cs__wr_u32le(z + i + 22, 100);
        if (!memcmp(z + i, "PK\1\2", 4)) cs__wr_u32le(z + i + 24, 100);
    }
    rc = ex("bomb.docx", z, len);
    ck_assert_msg(rc == CS_ELIMIT || rc == CS_ECORRUPT, "rc %d", rc);
    ck_assert_uint_lt(doc.text.len, 1000);
    free(z);
}
END_TEST

/* A zip whose 3 central directory entries (document, footnotes, endnotes)
 * all point at the one member of z: each within the ratio, together far
 * past it. */
static unsigned char *overlap_zip(const unsigned char *z, size_t zlen, size_t *outlen) {
    static const char *const names[] = {"word/document.xml", "word/footnotes.xml",
                                        "word/endnotes.xml"};
    const unsigned char *eocd = z + zlen - 22;
    ck_assert(!memcmp(eocd, "PK\5\6", 4));
    size_t cd = cs__rd_u32le(eocd + 16);
    ck_assert(!memcmp(z + cd, "PK\1\2", 4));
    unsigned char *o = malloc(zlen + 3 * (46 + 32) + 22);
    ck_assert_ptr_nonnull(o);
    memcpy(o, z, cd);
    size_t k = cd;
    for (int i = 0; i < 3; i++) {
        size_t nl = strlen(names[i]);
        memcpy(o + k, z + cd, 46);
        o[k + 28] = (unsigned char)nl, o[k + 29] = 0;   /* name length */
        memset(o + k + 30, 0, 4);                       /* no extra, no comment */
        memcpy(o + k + 46, names[i], nl);
        k += 46 + nl;
    }
    memcpy(o + k, eocd, 22);
    o[k + 8] = o[k + 10] = 3, o[k + 9] = o[k + 11] = 0; /* entries */
    cs__wr_u32le(o + k + 12, (uint32_t)(k - cd));        /* directory size */
    k += 22;
    *outlen = k;
    return o;
}

START_TEST(zip_overlapping_members) {
    /* 2 MB of XML that deflates about 125:1 */
    size_t big = (size_t)2 << 20;
    char *xml = malloc(big);
    ck_assert_ptr_nonnull(xml);
    memset(xml, ' ', big);
    srand(5);
    for (size_t i = 400; i < big - 400; i += 400) xml[i] = (char)('a' + rand() % 26);
    memcpy(xml, "<w:document><w:body><w:p><w:r><w:t>", 36);
    memcpy(xml + big - 37, "</w:t></w:r></w:p></w:body></w:document>", 37);
    zfile f[] = {{"word/document.xml", xml, big}};
    size_t len, olen;
    unsigned char *z = mkzip(f, 1, &len);
    free(xml);
    ck_assert_msg(big / len > 70 && big / len < 190, "ratio %zu", big / len);
    ck_assert_int_eq(ex("one.docx", z, len), 0); /* one member: fine */
    unsigned char *o = overlap_zip(z, len, &olen);
    int rc = ex("overlap.docx", o, olen);
    ck_assert_msg(rc == CS_ELIMIT && strstr(err.msg, "in all"), "rc %d: %s", rc, err.msg);
    free(o);
    free(z);
}
END_TEST

START_TEST(zip_member_limit) {
    /* 2 MB of varied text (compresses less than 200:1) with max_member 1 MB */
    size_t big = (size_t)2 << 20;
    char *xml = malloc(big + 1);
    ck_assert_ptr_nonnull(xml);
    size_t k = (size_t)sprintf(xml, "<w:document " W "><w:body>");
    srand(3);
    while (k < big - 100) k += (size_t)sprintf(xml + k, "<w:p><w:r><w:t>w%d</w:t></w:r></w:p>", rand());
    k += (size_t)sprintf(xml + k, "</w:body></w:document>");
    zfile f[] = {{"word/document.xml", xml, k}};
    size_t len;
    unsigned char *z = mkzip(f, 1, &len);
    ck_assert_int_eq(ex("big.docx", z, len), 0); /* default limits: fine */
    lim.max_member = (size_t)1 << 20;
    ck_assert_int_eq(ex("big.docx", z, len), CS_ELIMIT);
    ck_assert_msg(strstr(err.msg, "word/document.xml") && strstr(err.msg, "2.0 MB uncompressed, limit 1 MB"),
                  "msg [%s]",
                  err.msg);
    free(z);
    free(xml);
}
END_TEST

START_TEST(xml_entity_bomb) {
    static const char bomb[] =
        "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
        "<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
        "<!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">"
        "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">"
        "<!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">"
        "<!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">"
        "<!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">"
        "<!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">"
        "<!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">"
        "<!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">"
        "<!ENTITY ext SYSTEM \"file:///etc/passwd\">]>"
        "<w:document " W "><w:body>" P("before &lol9; &ext; after") "</w:body></w:document>";
    zfile f[] = {{"word/document.xml", bomb, 0}, {"docProps/core.xml",
        "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
        "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">]>"
        "<cp:coreProperties xmlns:cp=\"x\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\">"
        "<dc:title>t&d;&d;&d;</dc:title></cp:coreProperties>", 0}};
    size_t len;
    unsigned char *z = mkzip(f, 2, &len);
    clock_t t0 = clock();
    int rc = ex("lol.docx", z, len);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    ck_assert_msg(secs < 2.0, "entity bomb took %.1f s", secs);
    ck_assert_msg(rc == 0 || rc == CS_ECORRUPT, "rc %d: %s", rc, err.msg);
    ck_assert_uint_lt(doc.text.len, 1000);
    HASNT("lollol"); HASNT("root:");
    ck_assert_msg(!doc.title || strlen(doc.title) < 100, "title expanded");
    free(z);
}
END_TEST

Suite *fmt_markup_suite(void) {
    Suite *s = suite_create("fmt_markup");
    TCase *tc = tcase_create("html");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, html_text_and_fields);
    tcase_add_test(tc, html_meta_variants);
    tcase_add_test(tc, html_words_as_analysed);
    tcase_add_test(tc, html_charsets);
    tcase_add_test(tc, html_deep_nesting);
    suite_add_tcase(s, tc);
    tc = tcase_create("zip");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, docx_text_and_fields);
    tcase_add_test(tc, odt_text_and_fields);
    tcase_add_test(tc, epub_text_and_fields);
    tcase_add_test(tc, zip_damaged);
    tcase_add_test(tc, zip_not_a_document);
    tcase_add_test(tc, zip_bomb);
    tcase_add_test(tc, zip_member_limit);
    tcase_add_test(tc, zip_overlapping_members);
    tcase_add_test(tc, xml_entity_bomb);
    suite_add_tcase(s, tc);
    return s;
}
