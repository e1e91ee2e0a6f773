/* merge.c — the merge rules (see merge.h). */
#include "coordinator/merge.h"

#include <stdlib.h>
#include <string.h>

/* Is the host h[0..n) already one of the comma-separated names in list? */
static int has_host(const char *list, const char *h, size_t n) {
    for (const char *p = list; *p;) {
        size_t k = strcspn(p, ",");
        if (k == n && !memcmp(p, h, n)) return 1;
        p += k + (p[k] == ',');
    }
    return 0;
}

char *merge_hosts(const char *const *lists, int n) {
    size_t cap = 1;
    for (int i = 0; i < n; i++) cap += (lists[i] ? strlen(lists[i]) : 0) + 1;
    char *out = calloc(cap, 1);
    if (!out) return NULL;
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        for (const char *p = lists[i] ? lists[i] : ""; *p;) {
            size_t k = strcspn(p, ",");
            if (k && !has_host(out, p, k)) {
                if (len) out[len++] = ',';
                memcpy(out + len, p, k);
                len += k;
                out[len] = 0;
            }
            p += k + (p[k] == ',');
        }
    }
    return out;
}

int merge_check(const results_file *r, const char *const *names, int n, rs_err *e) {
    for (int i = 1; i < n; i++)
        if (r[i].sweep_hash != r[0].sweep_hash)
            return rs_err_set(e, RS_EINPUT, "%s and %s come from different plans (sweep hash %016llx vs %016llx): "
                              "refusing to merge", names[0], names[i], (unsigned long long)r[0].sweep_hash,
                              (unsigned long long)r[i].sweep_hash);
    return 0;
}

int merge_planned(const results_file *r, int n) {
    int planned = 0, same_n = 1, sum = 0;
    const char *first_n = NULL;
    for (int i = 0; i < n; i++) {
        const char *slash = strchr(r[i].shard, '/');
        if (!slash) same_n = 0;
        else if (!first_n) first_n = slash;
        else if (strcmp(first_n, slash)) same_n = 0;
        sum += r[i].tasks_planned;
        if (r[i].tasks_planned > planned) planned = r[i].tasks_planned;
    }
    return same_n ? sum : planned;
}

int merge_views(const results_file *r, const char *const *names, int n, task_view **v, rs_err *e) {
    size_t total = 0;
    for (int i = 0; i < n; i++) total += (size_t)r[i].n_tasks;
    *v = malloc((total ? total : 1) * sizeof **v);
    if (!*v) { rs_err_set(e, RS_EINTERNAL, "out of memory"); return -1; }
    int k = 0;
    for (int i = 0; i < n; i++)
        for (int t = 0; t < r[i].n_tasks; t++) {
            rs_err pe;
            if (task_view_parse(r[i].tasks[t].p, r[i].tasks[t].len, &(*v)[k], &pe)) {
                rs_err_set(e, RS_EINPUT, "%s: %s", names[i], pe.msg);
                free(*v);
                *v = NULL;
                return -1;
            }
            k++;
        }
    return k;
}
