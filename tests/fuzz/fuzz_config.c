/*
 * fuzz_config.c — libFuzzer harness for the config loader (`make fuzz`):
 * any bytes as an INI file through config_load_text, which must either load
 * a config or refuse it with RS_EINPUT and a one-line message — never
 * crash, leak, hang or read out of bounds (ASan + UBSan).  Seeds: every
 * config in configs/ and configs/seeds/.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > (1u << 16)) return 0;          /* configs are small; bigger only slows the search */
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;                           /* a NUL inside ends the text, as C strings do */
    sweep_config c;
    rs_err e;
    int r = config_load_text(text, "fuzz.ini", &c, &e);
    if (r == 0) {
        char buf[256];
        config_data_canon(&c, buf, sizeof buf);
        config_free(&c);
    } else if ((r != RS_EINPUT && r != RS_EINTERNAL) || strchr(e.msg, '\n') || !e.msg[0]) {
        abort();                              /* the contract: a status and one line */
    }
    free(text);
    return 0;
}
