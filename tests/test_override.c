/* test_override.c — command-line overrides (coordinator/override.h): the
 * forms accepted and refused, the effective text (the file's lines kept,
 * overridden ones commented, the block appended), the same keys as the
 * edited file, and errors that name the override. */
#include "tests/cu.h"
#include "tests/cu_plan.h"
#include "coordinator/override.h"

#include <string.h>
#include <unistd.h>

#define ASSERT_HAS(s, sub) do { \
    CU_ASSERT_PTR_NOT_NULL(strstr((s), (sub))); \
    if (!strstr((s), (sub))) printf("\n  text was: %s\n", (s)); } while (0)

static const char *INI =
    "[data]\n"
    "instruments = SPX\n"
    "SPX.path = data/x.csv\n"
    "[target]\n"
    "kind = return\n"
    "[model]\n"
    "cell = lstm\n"
    "hidden = 16, \\\n"
    "         32\n"
    "lookback = 20 ; the window\n"
    "[training]\n"
    "epochs = 3\n"
    "[strategy]\n"
    "market = equity\n"
    "kind = signal, grid\n"
    "threshold = 0, 0.001\n";

static void test_forms(void) {
    override_set o;
    memset(&o, 0, sizeof o);
    rs_err e;
    CU_ASSERT_EQUAL(override_add(&o, "model.hidden=64,128", &e), 0);
    CU_ASSERT_EQUAL(override_add(&o, "DATA.SPX.path=data/y.csv", &e), 0);   /* case-insensitive names */
    CU_ASSERT_STRING_EQUAL(o.sec[1], "data");
    CU_ASSERT_STRING_EQUAL(o.key[1], "spx.path");
    CU_ASSERT_EQUAL(override_add(&o, "run.name=", &e), 0);                  /* an empty value */
    static const char *bad[] = { "hidden=64", "model.hidden", ".hidden=3", "model.=3", "mo del.hidden=3",
                                 "model.hid den=3", "1model.x=2", NULL };
    for (int i = 0; bad[i]; i++) {
        CU_ASSERT_EQUAL(override_add(&o, bad[i], &e), RS_EINPUT);
        ASSERT_HAS(e.msg, "expected section.key=value");
    }
    CU_ASSERT_EQUAL(override_add(&o, "model.x=a\nb", &e), RS_EINPUT);
    ASSERT_HAS(e.msg, "newline");
    CU_ASSERT_EQUAL(override_add(&o, "Model.HIDDEN=8", &e), RS_EINPUT);
    ASSERT_HAS(e.msg, "model.hidden given twice");
    CU_ASSERT_EQUAL(o.n, 3);
    /* the bare (Hydra) form: a known section, not a file */
    CU_ASSERT(override_is_bare("model.hidden=64,128"));
    CU_ASSERT(override_is_bare("strategy.threshold=0:0.002:0.001"));
    CU_ASSERT(!override_is_bare("configs/quick.ini"));
    CU_ASSERT(!override_is_bare("modle.hidden=3"));       /* not a section: a config path */
    CU_ASSERT(!override_is_bare("--set"));
    char name[] = "/tmp/model.x=1_XXXXXX";               /* an existing file of that form */
    int fd = mkstemp(name);
    CU_ASSERT_FATAL(fd >= 0);
    close(fd);
    const char *base = strrchr(name, '/') + 1;
    CU_ASSERT_EQUAL(chdir("/tmp"), 0);
    CU_ASSERT(!override_is_bare(base));
    unlink(name);
}

static void test_effective_text(void) {
    override_set o;
    memset(&o, 0, sizeof o);
    rs_err e;
    CU_ASSERT_EQUAL(override_add(&o, "model.hidden=64x32, 8", &e), 0);
    CU_ASSERT_EQUAL(override_add(&o, "strategy.spacing=1, 2", &e), 0);     /* absent from the file */
    CU_ASSERT_EQUAL(override_add(&o, "run.name=a;b#c", &e), 0);            /* needs quoting */
    char *t = NULL;
    CU_ASSERT_EQUAL_FATAL(override_apply(&o, "x.ini", INI, &t, &e), 0);
    /* the file's own lines stay where they were; the overridden one (and its
     * continuation) is commented out */
    ASSERT_HAS(t, "[data]\ninstruments = SPX\n");
    ASSERT_HAS(t, "; --set: hidden = 16, \\\n         32\n");
    ASSERT_HAS(t, "\n[model]\nhidden = 64x32, 8\n[strategy]\nspacing = 1, 2\n[run]\nname = \"a;b#c\"\n");
    CU_ASSERT_EQUAL(config_key_line(t, "model", "lookback"), config_key_line(INI, "model", "lookback"));
    CU_ASSERT_EQUAL(config_key_line(t, "model", "hidden"), o.line[0]);
    CU_ASSERT_EQUAL(config_key_line(t, "run", "name"), o.line[2]);
    sweep_config c;
    CU_ASSERT_EQUAL_FATAL(config_load_text(t, "x.ini", &c, &e), 0);
    CU_ASSERT_EQUAL(c.model.n_hidden, 2);
    CU_ASSERT_EQUAL(c.model.hidden[0].n, 2);
    CU_ASSERT_EQUAL(c.model.hidden[0].h[0], 64);
    CU_ASSERT_STRING_EQUAL(c.run.name, "a;b#c");
    CU_ASSERT_STRING_EQUAL(c.ini_text, t);          /* what the results file will store */
    config_free(&c);
    free(t);
    /* no override: the text unchanged */
    override_set none;
    memset(&none, 0, sizeof none);
    CU_ASSERT_EQUAL_FATAL(override_apply(&none, "x.ini", INI, &t, &e), 0);
    CU_ASSERT_STRING_EQUAL(t, INI);
    free(t);
}

/* An override and the same edit made in the file: the same plan, keys and
 * sweep hash. */
static void test_same_keys(void) {
    const char *edited =
        "[data]\ninstruments = SPX\nSPX.path = data/x.csv\n[target]\nkind = return\n[model]\ncell = lstm, gru\n"
        "hidden = 16, 32\nlookback = 40 ; the window\n[training]\nepochs = 3\nlr = 0.003\n[strategy]\n"
        "market = equity\nkind = signal, grid\nthreshold = 0, 0.001, 0.002\n";
    override_set o;
    memset(&o, 0, sizeof o);
    rs_err e;
    CU_ASSERT_EQUAL(override_add(&o, "model.lookback=40", &e), 0);
    CU_ASSERT_EQUAL(override_add(&o, "model.cell=lstm,gru", &e), 0);
    CU_ASSERT_EQUAL(override_add(&o, "training.lr=3e-3", &e), 0);
    CU_ASSERT_EQUAL(override_add(&o, "strategy.threshold=0:0.002:0.001", &e), 0);
    char *t = NULL;
    CU_ASSERT_EQUAL_FATAL(override_apply(&o, "x.ini", INI, &t, &e), 0);
    sweep_config c1, c2;
    sweep_plan p1, p2;
    if (cu_plan_build(t, &c1, &p1) == 0 && cu_plan_build(edited, &c2, &p2) == 0) {
        CU_ASSERT_EQUAL(plan_sweep_hash(&p1), plan_sweep_hash(&p2));
        CU_ASSERT_EQUAL(p1.n_models, 4);
        CU_ASSERT_EQUAL(p1.n_strategies, p2.n_strategies);
        for (int i = 0; i < p1.n_models && i < p2.n_models; i++) CU_ASSERT_EQUAL(p1.models[i].key, p2.models[i].key);
        cu_plan_free(&c1, &p1);
        cu_plan_free(&c2, &p2);
    }
    free(t);
}

/* What the loader refuses in an override is reported with the override. */
static void test_errors_name_override(void) {
    char path[] = "/tmp/rs_test_override_XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    CU_ASSERT_EQUAL(write(fd, INI, strlen(INI)), (ssize_t)strlen(INI));
    close(fd);
    static const struct { const char *set, *want; } cases[] = {
        { "model.lookback=abc", "--set model.lookback=abc: [model] lookback: expected an integer" },
        { "model.lookbak=8", "--set model.lookbak=8: [model] lookbak: unknown key; did you mean 'lookback'?" },
        { "modle.hidden=8", "--set modle.hidden=8: [modle]: unknown section; did you mean [model]?" },
        { "training.lr=0", "--set training.lr=0: [training] lr: expected" },
        { "strategy.lot=0", "--set strategy.lot=0: [strategy] lot: expected a number in (0" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        override_set o;
        memset(&o, 0, sizeof o);
        rs_err e;
        sweep_config c;
        CU_ASSERT_EQUAL_FATAL(override_add(&o, cases[i].set, &e), 0);
        int rc = override_load(path, &o, &c, &e);
        CU_ASSERT_EQUAL(rc, RS_EINPUT);
        if (rc == 0) { config_free(&c); continue; }
        ASSERT_HAS(e.msg, cases[i].want);
    }
    /* an error in the file itself keeps its file:line */
    override_set o;
    memset(&o, 0, sizeof o);
    rs_err e;
    sweep_config c;
    CU_ASSERT_EQUAL(override_add(&o, "training.epochs=0", &e), 0);
    CU_ASSERT_EQUAL(override_load(path, &o, &c, &e), RS_EINPUT);
    ASSERT_HAS(e.msg, "--set training.epochs=0");
    memset(&o, 0, sizeof o);
    CU_ASSERT_EQUAL(override_add(&o, "model.lookback=30", &e), 0);
    CU_ASSERT_EQUAL_FATAL(override_load(path, &o, &c, &e), 0);
    CU_ASSERT_EQUAL(c.model.lookback.v[0], 30);
    /* an error found later (a data path) is named too */
    e.status = RS_EINPUT;
    snprintf(e.msg, sizeof e.msg, "%s:%d: [model] lookback: invented", path, o.line[0]);
    override_explain(&o, &e);
    CU_ASSERT_STRING_EQUAL(e.msg, "--set model.lookback=30: [model] lookback: invented");
    snprintf(e.msg, sizeof e.msg, "%s:3: [data] spx.path: no such file", path);
    override_explain(&o, &e);
    ASSERT_HAS(e.msg, ":3: [data] spx.path");
    config_free(&c);
    unlink(path);
}

static CU_TestInfo tests[] = {
    { "forms: accepted, refused, twice, the bare Hydra form", test_forms },
    { "effective text: lines kept, overridden commented, block appended, quoting", test_effective_text },
    { "an override and the edited file: the same keys and sweep hash", test_same_keys },
    { "errors name the override; the file's own keep file:line", test_errors_name_override },
    CU_TEST_INFO_NULL,
};

int main(void) { return cu_run("override", tests); }
