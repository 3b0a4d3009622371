/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>

#include "cmdline.h"
#include "grub.h"

struct vbuf {
        struct vchar *v;
        size_t len, alloc;
        bool unknown;
        unsigned short file; /* the file being read */
};

static int vb_pushv(struct vbuf *b, struct vchar v) {
        if (b->len + 1 > b->alloc) {
                size_t n = b->alloc ? b->alloc * 2 : 64;
                struct vchar *m = realloc(b->v, n * sizeof(*m));
                if (!m)
                        return -ENOMEM;
                b->v = m;
                b->alloc = n;
        }
        b->v[b->len++] = v;
        return 0;
}

static int vb_push(struct vbuf *b, char c, int off) {
        return vb_pushv(b, (struct vchar) { .c = c, .file = b->file, .off = off });
}

struct parser {
        struct grub_file *g;
        const char *t;
        size_t len, pos;
        unsigned line;
};

static int fail(struct parser *p, const char *fmt, ...) _printf_(2, 3);
static int fail(struct parser *p, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        free(p->g->error);
        if (vasprintf(&p->g->error, fmt, ap) < 0)
                p->g->error = NULL;
        va_end(ap);
        p->g->error_line = p->line;
        return p->g->error ? -EINVAL : -ENOMEM;
}

static bool is_name_start(char c) { return isalpha((unsigned char) c) || c == '_'; }
static bool is_name_char(char c) { return isalnum((unsigned char) c) || c == '_'; }

/* the last assignment of name in the sequence up to and including g */
static const struct grub_assign *last_assign_in(const struct grub_file *g, const char *name,
                                                const struct grub_file **in) {
        for (; g; g = g->prev)
                for (size_t i = g->n; i > 0; i--)
                        if (streq(g->as[i - 1].name, name)) {
                                if (in)
                                        *in = g;
                                return &g->as[i - 1];
                        }
        return NULL;
}

static const struct grub_assign *last_assign(const struct grub_file *g, const char *name) {
        return last_assign_in(g, name, NULL);
}

const struct grub_file *grub_nth(const struct grub_file *g, unsigned idx) {
        while (g && g->idx > idx)
                g = g->prev;
        return g && g->idx == idx ? g : NULL;
}

/* typographic quotes: U+2018 U+2019 U+201C U+201D */
static bool typographic_quote(const char *s, size_t left) {
        return left >= 3 && (unsigned char) s[0] == 0xE2 && (unsigned char) s[1] == 0x80 &&
               ((unsigned char) s[2] >= 0x98 && (unsigned char) s[2] <= 0x9D);
}

/* From just after "$(" to its ")" (p->pos is left on it): quotes, and the
 * substitutions nested in it, also inside double quotes, as sh lexes them.
 * 0, 1 if the text ends first, or -errno. */
static int skip_parens(struct parser *p, unsigned nest) {
        int depth = 1;
        char q = 0;

        if (nest > 32)
                return fail(p, "command substitutions nested too deep");
        for (; p->pos < p->len; p->pos++) {
                char c = p->t[p->pos];
                if (c == '\n')
                        p->line++;
                if (q == '\'') {
                        if (c == '\'')
                                q = 0;
                        continue;
                }
                if (c == '\\') {
                        if (p->pos + 1 < p->len && p->t[p->pos + 1] == '\n')
                                p->line++;
                        p->pos++;
                        continue;
                }
                if (c == '$' && p->pos + 1 < p->len && p->t[p->pos + 1] == '(') {
                        p->pos += 2;
                        int r = skip_parens(p, nest + 1);
                        if (r != 0)
                                return r;
                        continue;
                }
                if (q == '"') {
                        if (c == '"')
                                q = 0;
                        continue;
                }
                if (c == '#' && strchr(" \t\n;&|()", p->t[p->pos - 1])) {
                        /* a comment, as sh reads the text inside: to the end of the line */
                        while (p->pos + 1 < p->len && p->t[p->pos + 1] != '\n')
                                p->pos++;
                        continue;
                }
                if (c == '\'' || c == '"')
                        q = c;
                else if (c == '(')
                        depth++;
                else if (c == ')' && --depth == 0)
                        return 0;
        }
        return 1;
}

/* skip a `...` or $(...) command substitution; sets b->unknown */
static int skip_substitution(struct parser *p, struct vbuf *b) {
        unsigned start_line = p->line;
        if (p->t[p->pos] == '`') {
                char q = 0; /* sh parses the text inside as a script: its quotes and ( must close */
                unsigned depth = 0;
                p->pos++;
                while (p->pos < p->len && p->t[p->pos] != '`') {
                        char c = p->t[p->pos];
                        if (c == '\\' && q != '\'')
                                p->pos++;
                        else if (c == '\n')
                                p->line++;
                        else if (c == q)
                                q = 0;
                        else if (!q && (c == '\'' || c == '"'))
                                q = c;
                        else if (!q && c == '(')
                                depth++;
                        else if (!q && c == ')' && depth > 0) /* an unmatched ) may close a case pattern */
                                depth--;
                        p->pos++;
                }
                if (p->pos >= p->len) {
                        p->line = start_line;
                        return fail(p, "unterminated ` command substitution");
                }
                if (q) {
                        p->line = start_line;
                        return fail(p, "unterminated quote inside a ` command substitution");
                }
                if (depth) {
                        p->line = start_line;
                        return fail(p, "unclosed ( inside a ` command substitution");
                }
                p->pos++;
        } else { /* $( */
                p->pos++;
                int r = skip_parens(p, 0);
                if (r < 0)
                        return r;
                if (r > 0) {
                        p->line = start_line;
                        return fail(p, "unterminated $( command substitution");
                }
                p->pos++;
        }
        b->unknown = true;
        return 0;
}

/* $NAME, ${NAME}, $(...) at p->pos (which is '$'); names of any length, as sh reads them */
static int expansion(struct parser *p, struct vbuf *b) {
        size_t s = p->pos, ns, ne;
        const char *t = p->t;

        if (s + 1 < p->len && t[s + 1] == '(') {
                p->pos++;
                return skip_substitution(p, b);
        }
        if (s + 1 < p->len && t[s + 1] == '{') {
                ns = ne = s + 2;
                while (ne < p->len && is_name_char(t[ne]))
                        ne++;
                if (ne >= p->len || t[ne] != '}' || ne == ns || !is_name_start(t[ns]))
                        return fail(p, "cannot see through ${...} with operators; write the value out");
                p->pos = ne + 1;
        } else if (s + 1 < p->len && is_name_start(t[s + 1])) {
                ns = ne = s + 1;
                while (ne < p->len && is_name_char(t[ne]))
                        ne++;
                p->pos = ne;
        } else if (s + 1 < p->len && (isdigit((unsigned char) t[s + 1]) || strchr("@*#?$!-", t[s + 1]))) {
                return fail(p, "special parameter $%c has no value here", t[s + 1]);
        } else {
                /* a lone $ is literal */
                p->pos++;
                return vb_push(b, '$', (int) s);
        }
        _cleanup_free_ char *name = strndup(t + ns, ne - ns);
        if (!name)
                return -ENOMEM;
        const struct grub_assign *a = last_assign(p->g, name);
        if (!a)
                return 0; /* unset: empty (grub-mkconfig's own variables are not ours to guess) */
        if (a->unknown)
                b->unknown = true;
        for (size_t i = 0; i < a->len; i++)
                if (vb_pushv(b, a->val[i]) < 0)
                        return -ENOMEM;
        return 0;
}

/* One shell word (an assignment's right-hand side). */
static int word(struct parser *p, struct vbuf *b, int *close_quote, bool *plain) {
        const char *t = p->t;
        int r;

        *close_quote = -1;
        *plain = true;
        while (p->pos < p->len) {
                char c = t[p->pos];
                if (c == ' ' || c == '\t' || c == '\n' || c == ';')
                        break;
                if (typographic_quote(t + p->pos, p->len - p->pos))
                        return fail(p, "typographic quote (pasted from a web page?); use plain \" or '");
                if (c == '&' || c == '|' || c == '<' || c == '>' || c == '(' || c == ')')
                        return fail(p, "shell operator '%c' is not a plain assignment", c);
                *close_quote = -1;
                if (c == '\'') {
                        size_t s = p->pos++;
                        unsigned l = p->line;
                        while (p->pos < p->len && t[p->pos] != '\'') {
                                if (t[p->pos] == '\n')
                                        p->line++;
                                if ((r = vb_push(b, t[p->pos], (int) p->pos)) < 0)
                                        return r;
                                p->pos++;
                        }
                        if (p->pos >= p->len) {
                                p->line = l;
                                return fail(p, "unterminated single quote");
                        }
                        (void) s;
                        *close_quote = (int) p->pos++;
                        *plain = false;
                } else if (c == '"') {
                        unsigned l = p->line;
                        p->pos++;
                        for (;;) {
                                if (p->pos >= p->len) {
                                        p->line = l;
                                        return fail(p, "unterminated double quote");
                                }
                                c = t[p->pos];
                                if (c == '"')
                                        break;
                                if (typographic_quote(t + p->pos, p->len - p->pos))
                                        return fail(p, "typographic quote (pasted from a web page?); use plain \" or '");
                                if (c == '\\' && p->pos + 1 < p->len && strchr("$`\"\\\n", t[p->pos + 1])) {
                                        if (t[p->pos + 1] == '\n') {
                                                p->line++;
                                                p->pos += 2;
                                                continue;
                                        }
                                        if ((r = vb_push(b, t[p->pos + 1], (int) p->pos + 1)) < 0)
                                                return r;
                                        b->v[b->len - 1].off = -1; /* escaped: not an editable span */
                                        p->pos += 2;
                                        continue;
                                }
                                if (c == '$') {
                                        if ((r = expansion(p, b)) < 0)
                                                return r;
                                        continue;
                                }
                                if (c == '`') {
                                        if ((r = skip_substitution(p, b)) < 0)
                                                return r;
                                        continue;
                                }
                                if (c == '\n')
                                        p->line++;
                                if ((r = vb_push(b, c, (int) p->pos)) < 0)
                                        return r;
                                p->pos++;
                        }
                        *close_quote = (int) p->pos++;
                        *plain = false;
                } else if (c == '\\') {
                        if (p->pos + 1 >= p->len)
                                return fail(p, "backslash at end of file");
                        if (t[p->pos + 1] == '\n') { /* line continuation */
                                p->line++;
                                p->pos += 2;
                                *plain = false;
                                continue;
                        }
                        if ((r = vb_push(b, t[p->pos + 1], -1)) < 0)
                                return r;
                        p->pos += 2;
                        *plain = false;
                } else if (c == '$') {
                        *plain = false;
                        if ((r = expansion(p, b)) < 0)
                                return r;
                } else if (c == '`') {
                        *plain = false;
                        if ((r = skip_substitution(p, b)) < 0)
                                return r;
                } else {
                        if ((r = vb_push(b, c, (int) p->pos)) < 0)
                                return r;
                        p->pos++;
                }
        }
        return 0;
}

static int add_assign(struct parser *p, const char *name, size_t vs, size_t ve, int cq, bool plain, struct vbuf *b) {
        struct grub_file *g = p->g;
        struct grub_assign *m = realloc(g->as, (g->n + 1) * sizeof(*m));
        if (!m)
                return -ENOMEM;
        g->as = m;
        m[g->n] = (struct grub_assign) {
                .name = strdup(name),
                .line = p->line,
                .val_start = vs,
                .val_end = ve,
                .close_quote = cq,
                .plain_unquoted = plain,
                .unknown = b->unknown,
                .val = b->v,
                .len = b->len,
        };
        if (!m[g->n].name)
                return -ENOMEM;
        b->v = NULL;
        g->n++;
        return 0;
}

int grub_parse(const char *text, size_t len, struct grub_file **ret) {
        return grub_parse_next(NULL, NULL, text, len, ret);
}

int grub_parse_next(struct grub_file *prev, const char *path, const char *text, size_t len, struct grub_file **ret) {
        _cleanup_grub_ struct grub_file *g = calloc(1, sizeof(*g));
        struct parser p = { .len = len, .line = 1 };
        int r = 0;

        if (!g) {
                grub_free(prev);
                return -ENOMEM;
        }
        g->prev = prev;
        g->idx = prev ? prev->idx + 1 : 0;
        if (g->idx > GRUB_FILES_MAX)
                return -E2BIG;
        if (path && !(g->path = strdup(path)))
                return -ENOMEM;
        g->text = malloc(len + 1);
        if (!g->text)
                return -ENOMEM;
        memcpy(g->text, text, len);
        g->text[len] = 0;
        g->len = len;
        p.g = g;
        p.t = g->text;

        if (memchr(text, 0, len)) {
                p.line = 1;
                for (const char *c = text; *c; c++)
                        p.line += *c == '\n';
                r = fail(&p, "NUL byte: this is not a shell file");
                goto out;
        }
        bool command = false; /* a command (assignment) since the last ';' or newline */
        while (p.pos < len) {
                char c = p.t[p.pos];
                if (c == ';' && !command) {
                        r = fail(&p, "';' with no command before it (sh: syntax error)");
                        goto out;
                }
                if (c == ' ' || c == '\t' || c == ';') {
                        command = command && c != ';';
                        p.pos++;
                        continue;
                }
                if (c == '\n') {
                        command = false;
                        p.line++;
                        p.pos++;
                        continue;
                }
                if (c == '#') {
                        while (p.pos < len && p.t[p.pos] != '\n')
                                p.pos++;
                        continue;
                }
                if (c == '\\' && p.pos + 1 < len && p.t[p.pos + 1] == '\n') {
                        p.pos += 2;
                        p.line++;
                        continue;
                }
                /* export NAME[=word] ... */
                if (strncmp(p.t + p.pos, "export", 6) == 0 && (p.t[p.pos + 6] == ' ' || p.t[p.pos + 6] == '\t')) {
                        p.pos += 6;
                        command = true;
                        continue;
                }
                if (!is_name_start(c)) {
                        if (typographic_quote(p.t + p.pos, len - p.pos))
                                r = fail(&p, "typographic quote (pasted from a web page?); use plain \" or '");
                        else
                                r = fail(&p, "not a plain assignment; vfpt reads /etc/default/grub only when it "
                                             "can tell exactly what /bin/sh will make of it");
                        goto out;
                }
                size_t s = p.pos;
                while (p.pos < len && is_name_char(p.t[p.pos]))
                        p.pos++;
                _cleanup_free_ char *name = strndup(p.t + s, p.pos - s);
                if (!name) {
                        r = -ENOMEM;
                        goto out;
                }
                if (p.pos >= len || p.t[p.pos] != '=') {
                        /* a bare word: "export NAME" is fine, a command is not */
                        bool after_export = s >= 7 && strncmp(p.t + s - 7, "export", 6) == 0;
                        char next = p.pos < len ? p.t[p.pos] : '\n';
                        if (after_export && (next == ' ' || next == '\t' || next == '\n' || next == ';'))
                                continue;
                        r = fail(&p, "'%s' is a command, not an assignment; vfpt reads /etc/default/grub only "
                                     "when it can tell exactly what /bin/sh will make of it",
                                 name);
                        goto out;
                }
                p.pos++; /* '=' */
                command = true;
                struct vbuf b = { .file = (unsigned short) g->idx };
                int cq;
                bool plain;
                unsigned line = p.line;
                size_t vs = p.pos;
                r = word(&p, &b, &cq, &plain);
                if (r < 0) {
                        free(b.v);
                        goto out;
                }
                unsigned end_line = p.line;
                p.line = line;
                r = add_assign(&p, name, vs, p.pos, cq, plain, &b);
                p.line = end_line;
                free(b.v);
                if (r < 0)
                        goto out;
                /* a command after assignments on one line (A=1 cmd) runs cmd */
                while (p.pos < len && (p.t[p.pos] == ' ' || p.t[p.pos] == '\t'))
                        p.pos++;
                if (p.pos < len && !strchr("\n;#", p.t[p.pos]) && !is_name_start(p.t[p.pos])) {
                        r = fail(&p, "unexpected text after the assignment of %s", name);
                        goto out;
                }
                if (p.pos < len && is_name_start(p.t[p.pos])) {
                        /* next word must be another assignment: NAME= */
                        size_t i = p.pos;
                        while (i < len && is_name_char(p.t[i]))
                                i++;
                        if (i >= len || p.t[i] != '=') {
                                r = fail(&p, "a command runs with the assignment of %s on this line", name);
                                goto out;
                        }
                }
        }
out:
        if (r == -EINVAL) {
                *ret = TAKE_PTR(g);
                return r;
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(g);
        return 0;
}

struct grub_file *grub_free(struct grub_file *g) {
        if (!g)
                return NULL;
        for (size_t i = 0; i < g->n; i++) {
                free(g->as[i].name);
                free(g->as[i].val);
        }
        free(g->as);
        free(g->text);
        free(g->error);
        free(g->path);
        grub_free(g->prev);
        free(g);
        return NULL;
}

unsigned grub_unknown_at(const struct grub_file *g, const struct grub_file **file) {
        const struct grub_file *fa = NULL, *fb = NULL;
        const struct grub_assign *a = last_assign_in(g, "GRUB_CMDLINE_LINUX", &fa),
                                 *b = last_assign_in(g, "GRUB_CMDLINE_LINUX_DEFAULT", &fb);
        if (file)
                *file = a && a->unknown ? fa : b && b->unknown ? fb : NULL;
        return a && a->unknown ? a->line : b && b->unknown ? b->line : 0;
}

const struct grub_file *grub_assigned_in(const struct grub_file *g, const char *name) {
        const struct grub_file *f = NULL;
        (void) last_assign_in(g, name, &f);
        return f;
}

char *grub_value(const struct grub_file *g, const char *name, bool *unknown) {
        const struct grub_assign *a = last_assign(g, name);
        if (unknown)
                *unknown = a && a->unknown;
        if (!a)
                return NULL;
        char *s = malloc(a->len + 1);
        if (!s)
                return NULL;
        for (size_t i = 0; i < a->len; i++)
                s[i] = a->val[i].c;
        s[a->len] = 0;
        return s;
}

/* tokens of the kernel command line with their characters' sources */
struct token {
        const struct vchar *v;
        size_t len;
        bool in_default; /* from GRUB_CMDLINE_LINUX_DEFAULT */
};

static int tokens(const struct grub_assign *a, bool in_default, struct token **tok, size_t *n) {
        if (!a)
                return 0;
        if (a->unknown)
                return -EINVAL;
        for (size_t i = 0; i < a->len;) {
                while (i < a->len && isspace((unsigned char) a->val[i].c))
                        i++;
                if (i >= a->len)
                        break;
                size_t s = i;
                bool q = false;
                while (i < a->len && (q || !isspace((unsigned char) a->val[i].c))) {
                        if (a->val[i].c == '"')
                                q = !q;
                        i++;
                }
                struct token *m = realloc(*tok, (*n + 1) * sizeof(*m));
                if (!m)
                        return -ENOMEM;
                *tok = m;
                m[(*n)++] = (struct token) { a->val + s, i - s, in_default };
        }
        return 0;
}

/* the word the kernel gets: its next_arg() drops the double quotes */
static char *token_str(const struct token *t) {
        char *s = malloc(t->len + 1);
        size_t n = 0;
        if (!s)
                return NULL;
        for (size_t i = 0; i < t->len; i++)
                if (t->v[i].c != '"')
                        s[n++] = t->v[i].c;
        s[n] = 0;
        return s;
}

/* the file a token is written in, -1 if its characters come from several */
static int token_file(const struct token *t) {
        for (size_t i = 1; i < t->len; i++)
                if (t->v[i].file != t->v[0].file)
                        return -1;
        return t->len ? t->v[0].file : -1;
}

/* The kernel's part of the command line: words after a lone "--" go to init. */
static int all_tokens(const struct grub_file *g, struct token **tok, size_t *n) {
        int r = tokens(last_assign(g, "GRUB_CMDLINE_LINUX"), false, tok, n);
        if (r >= 0)
                r = tokens(last_assign(g, "GRUB_CMDLINE_LINUX_DEFAULT"), true, tok, n);
        for (size_t i = 0; r >= 0 && i < *n; i++) {
                _cleanup_free_ char *w = token_str(&(*tok)[i]);
                if (!w)
                        return -ENOMEM;
                if (streq(w, "--")) {
                        *n = i;
                        break;
                }
        }
        return r;
}

int grub_cmdline_src(const struct grub_file *g, char ***ret, int **ret_src) {
        _cleanup_free_ struct token *tok = NULL;
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_free_ int *src = NULL;
        size_t n = 0;
        int r = all_tokens(g, &tok, &n);
        if (r < 0)
                return r;
        if (ret_src && !(src = calloc(n + 1, sizeof(*src))))
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                char *s = token_str(&tok[i]);
                if (!s || (r = strv_push(&l, s)) < 0)
                        return -ENOMEM;
                if (src)
                        src[i] = token_file(&tok[i]);
        }
        if (!l && strv_split_ws("", &l) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(l);
        if (ret_src)
                *ret_src = TAKE_PTR(src);
        return 0;
}

int grub_cmdline(const struct grub_file *g, char ***ret) {
        return grub_cmdline_src(g, ret, NULL);
}

struct edit {
        unsigned file; /* idx of the file it applies to */
        size_t off, del;
        char *ins;
};

static int add_edit(struct edit **e, size_t *n, unsigned file, size_t off, size_t del, const char *ins) {
        struct edit *m = realloc(*e, (*n + 1) * sizeof(*m));
        if (!m)
                return -ENOMEM;
        *e = m;
        m[*n] = (struct edit) { file, off, del, strdup(ins) };
        if (!m[*n].ins)
                return -ENOMEM;
        (*n)++;
        return 0;
}

static void free_edits(struct edit *e, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(e[i].ins);
        free(e);
}

static bool edit_touches(const struct edit *e, size_t n, unsigned file, size_t off) {
        for (size_t i = 0; i < n; i++)
                if (e[i].file == file && off >= e[i].off && off < e[i].off + e[i].del)
                        return true;
        return false;
}

/* the file span of a token, if its characters are one contiguous run of one file */
static bool token_span(const struct token *t, unsigned *file, size_t *s, size_t *e) {
        if (t->len == 0 || t->v[0].off < 0 || token_file(t) < 0)
                return false;
        for (size_t i = 1; i < t->len; i++)
                if (t->v[i].off != t->v[i - 1].off + 1)
                        return false;
        *file = t->v[0].file;
        *s = (size_t) t->v[0].off;
        *e = (size_t) t->v[t->len - 1].off + 1;
        return true;
}

static int cmp_edit(const void *a, const void *b) {
        const struct edit *x = a, *y = b;
        if (x->file != y->file)
                return x->file < y->file ? -1 : 1;
        return x->off < y->off ? 1 : x->off > y->off ? -1 : 0; /* from the end */
}

/* The sequence read again with the new texts (out[idx], NULL: as it was). */
static int reparse(const struct grub_file *old, char *const *out, const size_t *lens, struct grub_file **ret) {
        struct grub_file *g = NULL;
        for (unsigned i = 0; i <= old->idx; i++) {
                const struct grub_file *o = grub_nth(old, i);
                struct grub_file *n = NULL;
                int r = grub_parse_next(g, o->path, out[i] ?: o->text, out[i] ? lens[i] : o->len, &n);
                if (r < 0) {
                        grub_free(n);
                        return r;
                }
                g = n;
        }
        *ret = g;
        return 0;
}

/* The edit must read back, the whole sequence, with every argument in force
 * and every other variable exactly as before. */
static int verify(const struct grub_file *old, char *const *out, const size_t *lens, char *const *want,
                  const char **why) {
        _cleanup_grub_ struct grub_file *g = NULL;
        _cleanup_strv_free_ char **params = NULL;

        if (reparse(old, out, lens, &g) < 0 || grub_cmdline(g, &params) < 0) {
                *why = "the edited file does not read back";
                return -EINVAL;
        }
        for (char *const *w = want; *w; w++)
                if (!cmdline_satisfies(params, *w)) {
                        *why = old->prev ? "a later file still takes an argument away" : "the edited file still lacks an argument";
                        return -EINVAL;
                }
        for (const struct grub_file *f = old; f; f = f->prev)
                for (size_t i = 0; i < f->n; i++) {
                        const char *n = f->as[i].name;
                        if (streq(n, "GRUB_CMDLINE_LINUX") || streq(n, "GRUB_CMDLINE_LINUX_DEFAULT"))
                                continue;
                        _cleanup_free_ char *a = grub_value(old, n, NULL), *b = grub_value(g, n, NULL);
                        if (!streq_ptr(a, b)) {
                                *why = "another variable takes its value from GRUB_CMDLINE_LINUX and would change too";
                                return -EINVAL;
                        }
                }
        return 0;
}

/* the edits applied, file by file: out[idx] new texts */
static int apply_edits(const struct grub_file *g, struct edit *ed, size_t ne, char **out, size_t *lens,
                       const char **why) {
        qsort(ed, ne, sizeof(*ed), cmp_edit);
        for (size_t i = 1; i < ne; i++)
                if (ed[i].file == ed[i - 1].file && ed[i].off + ed[i].del > ed[i - 1].off) {
                        *why = "edits overlap";
                        return -EINVAL;
                }
        for (size_t i = 0, j; i < ne; i = j) {
                const struct grub_file *f = grub_nth(g, ed[i].file);
                size_t total = f->len, len = f->len;
                for (j = i; j < ne && ed[j].file == ed[i].file; j++)
                        total += strlen(ed[j].ins);
                char *o = malloc(total + 1);
                if (!o)
                        return -ENOMEM;
                memcpy(o, f->text, f->len);
                for (size_t k = i; k < j; k++) {
                        size_t il = strlen(ed[k].ins);
                        memmove(o + ed[k].off + il, o + ed[k].off + ed[k].del, len - ed[k].off - ed[k].del);
                        memcpy(o + ed[k].off, ed[k].ins, il);
                        len = len - ed[k].del + il;
                }
                o[len] = 0;
                free(out[f->idx]);
                out[f->idx] = o;
                lens[f->idx] = len;
        }
        return 0;
}

/* joined (the missing arguments) appended to assignment a of file f, or a
 * new assignment at the end of f when a is NULL */
static int append_edit(const struct grub_file *f, const struct grub_assign *a, const char *joined, struct edit **ed,
                       size_t *ne) {
        _cleanup_free_ char *ins = NULL;
        int r;

        if (!a) {
                bool nl = f->len == 0 || f->text[f->len - 1] == '\n';
                ins = strdupf("%sGRUB_CMDLINE_LINUX=\"%s\"\n", nl ? "" : "\n", joined);
                return ins ? add_edit(ed, ne, f->idx, f->len, 0, ins) : -ENOMEM;
        }
        if (a->close_quote >= 0 && (size_t) a->close_quote + 1 == a->val_end) {
                /* "...": append inside the closing quote */
                bool blank = !a->len || isspace((unsigned char) a->val[a->len - 1].c);
                ins = strdupf("%s%s", blank ? "" : " ", joined);
                return ins ? add_edit(ed, ne, f->idx, (size_t) a->close_quote, 0, ins) : -ENOMEM;
        }
        if (a->val_start == a->val_end) {
                ins = strdupf("\"%s\"", joined);
                return ins ? add_edit(ed, ne, f->idx, a->val_end, 0, ins) : -ENOMEM;
        }
        if (a->plain_unquoted) {
                /* quiet -> "quiet intel_iommu=on" */
                ins = strdupf(" %s\"", joined);
                r = ins ? add_edit(ed, ne, f->idx, a->val_start, 0, "\"") : -ENOMEM;
                return r < 0 ? r : add_edit(ed, ne, f->idx, a->val_end, 0, ins);
        }
        /* ends unquoted after quotes or escapes: a quoted tail */
        ins = strdupf("\" %s\"", joined);
        return ins ? add_edit(ed, ne, f->idx, a->val_end, 0, ins) : -ENOMEM;
}

/* the last assignment of name in file f alone */
static const struct grub_assign *last_assign_here(const struct grub_file *f, const char *name) {
        for (size_t i = f->n; i > 0; i--)
                if (streq(f->as[i - 1].name, name))
                        return &f->as[i - 1];
        return NULL;
}

/* Which occurrence of want's name stays (and is replaced when it conflicts):
 * the last in GRUB_CMDLINE_LINUX if there is one there (recovery entries get
 * only that variable), else the last; but when that one is in a later file
 * (a drop-in that takes the argument away) and an earlier file already says
 * what we want, the earlier one stays as it is and the drop-in loses its
 * word: one file edited, not two. */
static size_t kept_occurrence(char *const *params, const struct token *tok, size_t n, const char *want, size_t last) {
        for (size_t i = 0; i < n; i++)
                if (cmdline_same_param(params[i], want) && !tok[i].in_default)
                        last = i;
        for (size_t i = 0; i < n; i++) {
                char *one[] = { params[i], NULL };
                if (cmdline_same_param(params[i], want) && tok[i].in_default == tok[last].in_default &&
                    token_file(&tok[i]) != token_file(&tok[last]) && cmdline_satisfies(one, want))
                        last = i;
        }
        return last;
}

/* An occurrence that goes: its span, and one blank beside it that no other
 * edit takes. */
static int drop_edit(const struct grub_file *f, size_t s, size_t e, struct edit **ed, size_t *ne) {
        if (s > 0 && (f->text[s - 1] == ' ' || f->text[s - 1] == '\t') && !edit_touches(*ed, *ne, f->idx, s - 1))
                s--;
        else if (e < f->len && (f->text[e] == ' ' || f->text[e] == '\t') && !edit_touches(*ed, *ne, f->idx, e))
                e++;
        return add_edit(ed, ne, f->idx, s, e - s, "");
}

/* Step 1: each wanted argument in force, conflicting (intel_iommu=off) or
 * missing, worked out on a copy of the command line (cmdline_fix: the
 * kernel's own rules, an IOMMU option that conflicts taken out, every other
 * option kept). What changed becomes edits in place (a word rewritten, or
 * dropped); the arguments still missing are collected in *append;
 * *replaced: some occurrence was edited. */
static int collect_edits(const struct grub_file *g, const struct token *tok, char *const *params, size_t n,
                         char *const *want, struct edit **ed, size_t *ne, char ***append, bool *replaced,
                         const char **why) {
        _cleanup_strv_free_ char **work = NULL;
        int r;

        for (size_t i = 0; i < n; i++)
                if ((r = strv_extend(&work, params[i])) < 0)
                        return r;
        if (!work && strv_split_ws("", &work) < 0)
                return -ENOMEM;
        for (char *const *w = want; *w; w++) {
                bool add;
                if (cmdline_satisfies(work, *w))
                        continue;
                int found = cmdline_find_last(work, *w);
                int kept = found < 0 ? -1 : (int) kept_occurrence(work, tok, n, *w, (size_t) found);
                if ((r = cmdline_fix(work, *w, kept, &add)) < 0)
                        return r;
                if (add && (r = strv_extend(append, *w)) < 0)
                        return r;
        }
        for (size_t i = 0; i < n; i++) {
                size_t s, e;
                unsigned file;

                if (streq(work[i], params[i]))
                        continue;
                if (!token_span(&tok[i], &file, &s, &e)) {
                        *why = "a conflicting parameter is written with escapes or split over variables; "
                               "edit it by hand";
                        return -EINVAL;
                }
                *replaced = true;
                r = *work[i] ? add_edit(ed, ne, file, s, e - s, work[i]) : drop_edit(grub_nth(g, file), s, e, ed, ne);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Step 2, where the missing arguments (joined) go, by attempt:
 * 0: /etc/default/grub's last GRUB_CMDLINE_LINUX (a new one at its end);
 * 1: the assignment in force, when a later file sets it;
 * 2: a new assignment after everything that reads it (a later variable
 *    expands GRUB_CMDLINE_LINUX).
 * The edits of step 1 plus this one in *ret; 0 when the attempt does not
 * apply here. */
static int place_missing(const struct grub_file *g, int attempt, const char *joined, const struct edit *ed, size_t ne,
                         struct edit **ret, size_t *n_ret) {
        const struct grub_file *in_force = NULL, *first = grub_nth(g, 0);
        const struct grub_assign *a_force = last_assign_in(g, "GRUB_CMDLINE_LINUX", &in_force);
        struct edit *try = NULL;
        size_t nt = 0;
        int r = 0;

        if (attempt == 1 && (!in_force || in_force->idx == 0))
                return 0;
        for (size_t i = 0; i < ne && r >= 0; i++)
                r = add_edit(&try, &nt, ed[i].file, ed[i].off, ed[i].del, ed[i].ins);
        if (r >= 0 && attempt == 0)
                r = append_edit(first, last_assign_here(first, "GRUB_CMDLINE_LINUX"), joined, &try, &nt);
        else if (r >= 0 && attempt == 1)
                r = append_edit(in_force, a_force, joined, &try, &nt);
        else if (r >= 0) {
                const struct grub_file *f = in_force ?: first;
                _cleanup_free_ char *ins = strdupf("%sGRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX %s\"\n",
                                                   f->len == 0 || f->text[f->len - 1] == '\n' ? "" : "\n", joined);
                r = ins ? add_edit(&try, &nt, f->idx, f->len, 0, ins) : -ENOMEM;
        }
        if (r < 0) {
                free_edits(try, nt);
                return r;
        }
        *ret = try;
        *n_ret = nt;
        return 1;
}

/* Step 3: the edits applied, and the result read back and verified. */
static int apply_and_verify(const struct grub_file *g, struct edit *ed, size_t ne, char *const *want, char **out,
                            size_t *lens, const char **why) {
        for (size_t i = 0; i <= g->idx; i++) {
                free(out[i]);
                out[i] = NULL;
        }
        *why = NULL;
        int r = apply_edits(g, ed, ne, out, lens, why);
        return r < 0 ? r : verify(g, out, lens, want, why);
}

static char *join_blank(char *const *l) {
        size_t len = 1;
        for (char *const *a = l; *a; a++)
                len += strlen(*a) + 1;
        char *j = malloc(len), *p = j;
        if (!j)
                return NULL;
        *p = 0;
        for (char *const *a = l; *a; a++)
                p = stpcpy(stpcpy(p, a == l ? "" : " "), *a);
        return j;
}

int grub_patch_seq(const struct grub_file *g, char *const *want, char ***ret, size_t **ret_len, const char **why) {
        _cleanup_free_ struct token *tok = NULL;
        _cleanup_strv_free_ char **params = NULL, **append = NULL;
        _cleanup_free_ char *joined = NULL;
        _cleanup_free_ size_t *lens = NULL;
        struct edit *ed = NULL;
        size_t n = 0, ne = 0, nf = g->idx + 1;
        char **out = NULL; /* nf slots, NULL where a file stays as it is */
        bool replaced = false;
        int r;

        *why = NULL;
        out = calloc(nf, sizeof(*out));
        lens = calloc(nf, sizeof(*lens));
        if (!out || !lens) {
                free(out);
                return -ENOMEM;
        }
        r = all_tokens(g, &tok, &n);
        if (r == -EINVAL)
                *why = "GRUB_CMDLINE_LINUX depends on a command substitution; vfpt cannot see through it";
        if (r >= 0)
                r = grub_cmdline(g, &params);
        if (r >= 0)
                r = collect_edits(g, tok, params, n, want, &ed, &ne, &append, &replaced, why);
        if (r < 0)
                goto out;
        if (!append) {
                if (ne > 0)
                        r = apply_and_verify(g, ed, ne, want, out, lens, why);
                goto out;
        }
        if (!(joined = join_blank(append))) {
                r = -ENOMEM;
                goto out;
        }
        /* the first place that reads back right wins; a new assignment
         * after the others only when nothing was replaced in place */
        for (int attempt = 0; attempt < (replaced ? 2 : 3); attempt++) {
                struct edit *try = NULL;
                size_t nt = 0;
                int p = place_missing(g, attempt, joined, ed, ne, &try, &nt);
                if (p == 0)
                        continue; /* r stays what the attempt before gave */
                r = p < 0 ? p : apply_and_verify(g, try, nt, want, out, lens, why);
                free_edits(try, nt);
                if (r != -EINVAL)
                        break;
        }
out:
        free_edits(ed, ne);
        if (r < 0) {
                grub_texts_free(out, nf);
                return r;
        }
        *ret = out;
        *ret_len = TAKE_PTR(lens);
        return 0;
}

void grub_texts_free(char **texts, size_t n) {
        for (size_t i = 0; texts && i < n; i++)
                free(texts[i]);
        free(texts);
}

int grub_patch(const struct grub_file *g, char *const *want, char **ret, size_t *ret_len, const char **why) {
        _cleanup_free_ size_t *lens = NULL;
        char **out = NULL;
        int r;

        *ret = NULL;
        if (g->prev)
                return -EINVAL;
        r = grub_patch_seq(g, want, &out, &lens, why);
        if (r < 0)
                return r;
        if (out[0]) {
                *ret = TAKE_PTR(out[0]);
                *ret_len = lens[0];
        }
        grub_texts_free(out, 1);
        return 0;
}

int cmdline_string_patch(const char *line, char *const *want, char **ret) {
        /* the same edit on a plain line: as if it were GRUB_CMDLINE_LINUX="line" */
        _cleanup_free_ char *text = strdupf("GRUB_CMDLINE_LINUX=\"%s\"", line);
        _cleanup_grub_ struct grub_file *g = NULL;
        _cleanup_free_ char *out = NULL;
        const char *why;
        size_t len;
        int r;

        if (!text)
                return -ENOMEM;
        if (strpbrk(line, "\"\\$`\n"))
                return -EINVAL;
        r = grub_parse(text, strlen(text), &g);
        if (r < 0)
                return r;
        r = grub_patch(g, want, &out, &len, &why);
        if (r < 0)
                return r;
        if (!out) {
                *ret = NULL;
                return 0;
        }
        /* strip the wrapper again */
        size_t pre = strlen("GRUB_CMDLINE_LINUX=\"");
        if (len < pre + 1)
                return -EINVAL;
        out[len - 1] = 0;
        *ret = strdup(out + pre);
        return *ret ? 0 : -ENOMEM;
}

int grub_verify_seq(const struct grub_file *g, char *const *texts, const size_t *lens, char *const *want,
                    const char **why) {
        *why = NULL;
        return verify(g, texts, lens, want, why);
}
