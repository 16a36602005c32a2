/* An OpenMP barrier (`#pragma omp barrier`) measured the EPCC way, as a program of its own:
 * the runner's peer for an OpenMP runtime that cannot share its process with libgomp (LLVM's
 * libomp, built with clang). It does what the runner's EPCC loop does (runner/src/measure.rs):
 * innerreps doubles until a run of { delay; barrier } takes the target time; a reference loop
 * of the same delays runs on one thread; then one warm-up run and `reps` timed runs in one
 * parallel region, every thread timing its own CPU time and context switches. It prints what it
 * measured, one line each, for the runner to turn into per-episode figures:
 *
 *   innerreps N
 *   reference NS          (max(reps, 5) lines: one reference run each)
 *   run WALL_NS CPU_NS SWITCHES   (reps + 1 lines; the first is the warm-up)
 *
 * usage: omp_epcc THREADS CORES DELAY_ITERS TARGET_NS REPS ROTATING
 * CORES > 0 pins thread i onto the (i % CORES)-th CPU the process may use; 0 does not pin.
 * The barrier pattern is the runtime's own choice, steered by its environment (libomp:
 * KMP_PLAIN_BARRIER_PATTERN, KMP_BLOCKTIME). */
#define _GNU_SOURCE
#include <omp.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

/* The calibrated delay: `iters` dependent additions the compiler cannot fold. */
static void delay(uint64_t iters) {
    uint64_t x = 0;
    for (uint64_t i = 0; i < iters; i++) {
        x += i;
        __asm__ volatile("" : "+r"(x));
    }
}

static uint64_t now_ns(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static uint64_t switches(void) {
    struct rusage u;
    getrusage(RUSAGE_THREAD, &u);
    return (uint64_t)(u.ru_nvcsw + u.ru_nivcsw);
}

/* Pins the calling thread onto the (index % cores)-th CPU the process may use. */
static void pin(const cpu_set_t *allowed, int cores, int index) {
    if (cores <= 0) return;
    int want = index % cores, seen = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (!CPU_ISSET(cpu, allowed)) continue;
        if (seen++ == want) {
            cpu_set_t one;
            CPU_ZERO(&one);
            CPU_SET(cpu, &one);
            sched_setaffinity(0, sizeof one, &one);
            return;
        }
    }
}

/* One run on the team of `threads`: wall time of thread 0, CPU time and switches of all. */
static void run(int threads, int cores, const cpu_set_t *allowed, uint64_t innerreps,
                uint64_t delay_iters, int rotating, uint64_t *wall, uint64_t *cpu,
                uint64_t *switched) {
    uint64_t cpu_sum = 0, switch_sum = 0, wall0 = 0;
#pragma omp parallel num_threads(threads) reduction(+ : cpu_sum, switch_sum)
    {
        int me = omp_get_thread_num();
        uint64_t n = (uint64_t)omp_get_num_threads();
        pin(allowed, cores, me);
#pragma omp barrier
        uint64_t c0 = now_ns(CLOCK_THREAD_CPUTIME_ID), s0 = switches();
        uint64_t t0 = now_ns(CLOCK_MONOTONIC);
        for (uint64_t i = 0; i < innerreps; i++) {
            if (!rotating || i % n == (uint64_t)me) delay(delay_iters);
#pragma omp barrier
        }
        if (me == 0) wall0 = now_ns(CLOCK_MONOTONIC) - t0;
        cpu_sum += now_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
        switch_sum += switches() - s0;
    }
    *wall = wall0;
    *cpu = cpu_sum;
    *switched = switch_sum;
}

int main(int argc, char **argv) {
    if (argc != 7) {
        fprintf(stderr, "usage: %s THREADS CORES DELAY_ITERS TARGET_NS REPS ROTATING\n", argv[0]);
        return 2;
    }
    int threads = atoi(argv[1]), cores = atoi(argv[2]);
    uint64_t delay_iters = strtoull(argv[3], 0, 10), target = strtoull(argv[4], 0, 10);
    int reps = atoi(argv[5]), rotating = atoi(argv[6]);
    cpu_set_t allowed;
    sched_getaffinity(0, sizeof allowed, &allowed);
    omp_set_dynamic(0);
    uint64_t wall, cpu, switched, innerreps = 1;
    for (;;) {
        run(threads, cores, &allowed, innerreps, delay_iters, rotating, &wall, &cpu, &switched);
        if (wall >= target || innerreps >= (1u << 24)) break;
        innerreps *= 2;
    }
    printf("innerreps %llu\n", (unsigned long long)innerreps);
    pin(&allowed, cores, 0);
    for (int r = 0; r < (reps > 5 ? reps : 5); r++) {
        uint64_t t0 = now_ns(CLOCK_MONOTONIC);
        for (uint64_t i = 0; i < innerreps; i++) delay(delay_iters);
        printf("reference %llu\n", (unsigned long long)(now_ns(CLOCK_MONOTONIC) - t0));
    }
    for (int r = 0; r <= reps; r++) {
        run(threads, cores, &allowed, innerreps, delay_iters, rotating, &wall, &cpu, &switched);
        printf("run %llu %llu %llu\n", (unsigned long long)wall, (unsigned long long)cpu,
               (unsigned long long)switched);
    }
    return 0;
}
