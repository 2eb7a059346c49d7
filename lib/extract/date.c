/*
 * date.c — document dates, as metadata writes them, to ISO 8601.
 */
#include <ctype.h>
#include <stdio.h>

#include "extract.h"

/* n decimal digits at s, or -1 */
static int digits(const char *s, int n) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static int mdays(int y, int m) {
    static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d[m - 1] + (m == 2 && leap);
}

int cs__date_iso(char out[11], const char *s) {
    out[0] = '\0';
    if (!s) return -1;
    while (isspace((unsigned char)*s)) s++;
    if (s[0] == 'D' && s[1] == ':') s += 2;
    int y = digits(s, 4);
    if (y < 1000) return -1;
    s += 4;
    int sep = *s == '-' || *s == '/' || *s == '.';
    if (sep) s++;
    int m = digits(s, 2), d = -1;
    if (m >= 0) {
        s += 2;
        if (sep && (*s == '-' || *s == '/' || *s == '.')) s++;
        else if (sep && isdigit((unsigned char)*s)) return -1;
        d = digits(s, 2);
        if (d >= 0 && isdigit((unsigned char)s[2]) && sep) return -1;
    } else if (sep || isdigit((unsigned char)*s)) {
        return -1;
    }
    if (m == 0 || m > 12) return -1;
    if (d == 0 || (m > 0 && d > mdays(y, m))) return -1;
    /* y < 10000, m <= 12, d <= 31: each fits its field */
    snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000, (unsigned)m % 100,
             (unsigned)d % 100);
    out[m < 0 ? 4 : d < 0 ? 7 : 10] = '\0';
    return 0;
}
