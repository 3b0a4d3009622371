/* libFuzzer target: the config parser and validator. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *text = strndup((const char *) data, size);
        struct config *c = NULL;
        if (!text)
                return 0;
        int r = config_load_string("fuzz.conf", text, &c);
        /* an invalid config always says why; a valid one never has errors */
        if ((r == -EINVAL) != (c && c->errors != NULL))
                __builtin_trap();
        config_free(c);
        free(text);
        return 0;
}
