/* OpenMP's barrier (`#pragma omp barrier`), measured the EPCC way by the runner.
 *
 * One parallel region runs `runs` timed runs of plan[r] episodes: { delay; barrier } on every
 * thread (or, when `rotating`, the delay only on thread i % n in episode i). The delay and the
 * timing are the runner's own, called back through `delay` and `hook`, so this loop measures
 * exactly what the Rust loop does for the other barriers: every thread reports its run's start
 * and end (thread 0's give the wall time, every thread's its CPU time). Returns the team's
 * size. */
#include <omp.h>
#include <stddef.h>
#include <stdint.h>

enum { HOOK_PIN = 0, HOOK_START = 1, HOOK_END = 2 };

int syncpoint_omp_epcc(int threads, const uint64_t *plan, size_t runs, uint64_t delay_iters,
                       int rotating, void (*delay)(uint64_t),
                       void (*hook)(void *ctx, int event, int thread), void *ctx) {
    int team = 0;
    omp_set_dynamic(0);
#pragma omp parallel num_threads(threads)
    {
        int me = omp_get_thread_num();
        uint64_t n = (uint64_t)omp_get_num_threads();
        hook(ctx, HOOK_PIN, me);
        if (me == 0) team = (int)n;
        for (size_t r = 0; r < runs; r++) {
#pragma omp barrier
            hook(ctx, HOOK_START, me);
            for (uint64_t i = 0; i < plan[r]; i++) {
                if (!rotating || i % n == (uint64_t)me) delay(delay_iters);
#pragma omp barrier
            }
            hook(ctx, HOOK_END, me);
        }
    }
    return team;
}
