/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* line_next(): the one line reader of the /proc and /etc files read whole. */
#include "tap.h"
#include "util.h"

static void test_lines(void) {
        char text[] = "one\n\nthree\nlast";
        char *c = text, *l;
        CHECK_STR(line_next(&c), "one");
        CHECK_STR(line_next(&c), ""); /* an empty line in the middle is a line */
        CHECK_STR(line_next(&c), "three");
        CHECK_STR(line_next(&c), "last"); /* no newline at the end */
        CHECK(line_next(&c) == NULL);
        CHECK(line_next(&c) == NULL);
        char t2[] = "a\nb\n";
        unsigned n = 0;
        for (c = t2; (l = line_next(&c));)
                n++;
        CHECK(n == 2); /* a last newline starts no empty line */
        char t3[] = "";
        c = t3;
        CHECK(line_next(&c) == NULL);
        c = NULL;
        CHECK(line_next(&c) == NULL);
}

int main(void) {
        RUN(test_lines);
        TEST_MAIN_END();
}
