/*
 * fuzz_journal.c — libFuzzer harness for the journal reader (`make fuzz`):
 * any bytes as a journal through journal_parse, which must return its
 * records (each passing task_view_parse, inside the input, 8-aligned) or
 * refuse with RS_EINPUT and one line — never crash or read out of bounds,
 * however records are cut, flipped or forged.  Seed: the journal of a real
 * tiny sweep (tests/fuzz/run.sh makes it).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "coordinator/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size > (4u << 20)) return 0;
    journal_contents c;
    rs_err e;
    int r = journal_parse(data, size, "fuzz.journal", &c, &e);
    if (r == 0) {
        const unsigned char *b = c.buf;
        for (int i = 0; i < c.n; i++) {
            const unsigned char *p = c.rec[i].p;
            task_view v;
            if (p < b || p + c.rec[i].len > b + size || ((uintptr_t)p & 7) ||
                task_view_parse(p, c.rec[i].len, &v, NULL))
                abort();
        }
        if (c.valid_bytes + c.torn_bytes != size || c.valid_bytes > size) abort();
        journal_contents_free(&c);
    } else if ((r != RS_EINPUT && r != RS_EINTERNAL) || strchr(e.msg, '\n') || !e.msg[0]) {
        abort();
    }
    return 0;
}
