/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <yaml.h>

#include "util.h"
#include "yamlfile.h"

/* libyaml is opened when a YAML file is to be read, never at exec: the udev
 * path reads no YAML (see module.c for libkmod, the same way). */
static void *yaml_dl;
static struct {
        int (*parser_initialize)(yaml_parser_t *);
        void (*parser_delete)(yaml_parser_t *);
        void (*set_input_string)(yaml_parser_t *, const unsigned char *, size_t);
        int (*parser_load)(yaml_parser_t *, yaml_document_t *);
        void (*document_delete)(yaml_document_t *);
        yaml_node_t *(*get_root_node)(yaml_document_t *);
        yaml_node_t *(*get_node)(yaml_document_t *, int);
} yl;

static int yaml_open(void) {
        if (yaml_dl)
                return 0;
        yaml_dl = dlopen("libyaml-0.so.2", RTLD_NOW | RTLD_LOCAL);
        if (!yaml_dl)
                return -ENOPKG;
        if (!(*(void **) &yl.parser_initialize = dlsym(yaml_dl, "yaml_parser_initialize")) ||
            !(*(void **) &yl.parser_delete = dlsym(yaml_dl, "yaml_parser_delete")) ||
            !(*(void **) &yl.set_input_string = dlsym(yaml_dl, "yaml_parser_set_input_string")) ||
            !(*(void **) &yl.parser_load = dlsym(yaml_dl, "yaml_parser_load")) ||
            !(*(void **) &yl.document_delete = dlsym(yaml_dl, "yaml_document_delete")) ||
            !(*(void **) &yl.get_root_node = dlsym(yaml_dl, "yaml_document_get_root_node")) ||
            !(*(void **) &yl.get_node = dlsym(yaml_dl, "yaml_document_get_node"))) {
                dlclose(yaml_dl);
                yaml_dl = NULL;
                return -ENOPKG;
        }
        return 0;
}

struct walk {
        yaml_document_t *doc;
        char *path[YAMLFILE_DEPTH];
        yaml_scalar_fn fn;
        void *userdata;
        unsigned budget; /* nodes still to visit: aliases can make a small file huge */
};

static int walk_node(struct walk *w, yaml_node_t *node, size_t depth) {
        int r;

        if (!node)
                return 0;
        if (w->budget-- == 0)
                return -E2BIG;
        switch (node->type) {
        case YAML_SCALAR_NODE:
                return w->fn(w->userdata, w->path, depth, (const char *) node->data.scalar.value,
                             (unsigned) node->start_mark.line + 1);
        case YAML_SEQUENCE_NODE:
                if (depth == YAMLFILE_DEPTH)
                        return 0;
                for (yaml_node_item_t *i = node->data.sequence.items.start; i < node->data.sequence.items.top; i++) {
                        w->path[depth] = (char *) "-";
                        if ((r = walk_node(w, yl.get_node(w->doc, *i), depth + 1)) < 0)
                                return r;
                }
                return 0;
        case YAML_MAPPING_NODE:
                if (depth == YAMLFILE_DEPTH)
                        return 0;
                for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
                        yaml_node_t *k = yl.get_node(w->doc, p->key);
                        if (!k || k->type != YAML_SCALAR_NODE) /* a complex key names nothing netplan reads */
                                continue;
                        w->path[depth] = (char *) k->data.scalar.value;
                        if ((r = walk_node(w, yl.get_node(w->doc, p->value), depth + 1)) < 0)
                                return r;
                }
                return 0;
        default:
                return 0;
        }
}

int yamlfile_walk(const char *text, size_t len, yaml_scalar_fn fn, void *userdata, char **error) {
        yaml_parser_t parser;
        yaml_document_t doc;
        int r;

        *error = NULL;
        if ((r = yaml_open()) < 0)
                return r;
        if (!yl.parser_initialize(&parser))
                return -ENOMEM;
        yl.set_input_string(&parser, (const unsigned char *) text, len);
        if (!yl.parser_load(&parser, &doc)) {
                r = parser.error == YAML_MEMORY_ERROR ? -ENOMEM : -EBADMSG;
                if (r == -EBADMSG && !(*error = strdupf("line %zu: %s%s%s", parser.problem_mark.line + 1,
                                                        parser.problem ?: "not YAML",
                                                        parser.context ? " " : "", parser.context ?: "")))
                        r = -ENOMEM;
                yl.parser_delete(&parser);
                return r;
        }
        struct walk w = { .doc = &doc, .fn = fn, .userdata = userdata, .budget = 1u << 20 };
        r = walk_node(&w, yl.get_root_node(&doc), 0);
        if (r == -E2BIG) {
                r = -EBADMSG;
                if (!(*error = strdup("aliases expand to more than a million nodes")))
                        r = -ENOMEM;
        }
        yl.document_delete(&doc);
        yl.parser_delete(&parser);
        return r;
}
