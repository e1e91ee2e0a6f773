/*
 * nodlclose.c — LD_PRELOAD'ed into ASan runs of the MPI program only
 * (`make asan`, tests/sweep_lib.sh): makes dlclose a no-op so Open MPI's
 * plugins stay mapped at exit.  Their one-off allocations (never freed by
 * Open MPI 4.1) then show resolvable frames that tests/lsan.supp can
 * suppress by library name, while a leak in rnnsweep's own code still
 * fails the run.
 */
int dlclose(void *handle);
int dlclose(void *handle) {
    (void)handle;
    return 0;
}
