// Lock-free primitives for LoadGen's hot path: per-sample atomic slots over plain int64 memory, and the clocks.
#pragma once
#include <stdint.h>
#include <time.h>

static inline int64_t lg_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline int64_t lg_wall_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline int64_t lg_exchange(int64_t *p, int64_t v) { return __atomic_exchange_n(p, v, __ATOMIC_ACQ_REL); }
static inline int64_t lg_load(const int64_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline int64_t lg_load_relaxed(const int64_t *p) { return __atomic_load_n(p, __ATOMIC_RELAXED); }
static inline void lg_store(int64_t *p, int64_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static inline int64_t lg_add(int64_t *p, int64_t v) { return __atomic_add_fetch(p, v, __ATOMIC_ACQ_REL); }
static inline void lg_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/// Compare-and-swap: stores `desired` if `*p == expected`; returns whether it did.
static inline _Bool lg_cas(int64_t *p, int64_t expected, int64_t desired) {
    return __atomic_compare_exchange_n(p, &expected, desired, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

#if defined(__linux__)
#include <sys/prctl.h>
/// Timer slack of the calling thread, in ns (Linux defaults to 50 µs, which delays every sleep by up to that much).
static inline void lg_set_timer_slack(unsigned long ns) { prctl(PR_SET_TIMERSLACK, ns, 0, 0, 0); }
#else
static inline void lg_set_timer_slack(unsigned long ns) { (void)ns; }
#endif

/// Sleeps until an absolute CLOCK_MONOTONIC time (ns).
static inline void lg_sleep_until(int64_t t) {
    struct timespec ts;
    ts.tv_sec = t / 1000000000;
    ts.tv_nsec = t % 1000000000;
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, 0);
}

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <limits.h>
/// Blocks while the 32-bit word at `word` still holds `expected`, for at most `timeout_ns` (spurious wake-ups
/// possible; the caller re-checks its condition).
static inline void lg_futex_wait(int32_t *word, int32_t expected, int64_t timeout_ns) {
    struct timespec ts;
    ts.tv_sec = timeout_ns / 1000000000;
    ts.tv_nsec = timeout_ns % 1000000000;
    syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, expected, &ts, 0, 0);
}
/// Wakes every thread blocked in `lg_futex_wait` on `word`.
static inline void lg_futex_wake_all(int32_t *word) { syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, INT_MAX, 0, 0, 0); }
#else
static inline void lg_futex_wait(int32_t *word, int32_t expected, int64_t timeout_ns) {
    (void)word; (void)expected;
    struct timespec ts = { 0, timeout_ns < 50000 ? timeout_ns : 50000 };
    nanosleep(&ts, 0);
}
static inline void lg_futex_wake_all(int32_t *word) { (void)word; }
#endif
static inline int32_t lg_load32(const int32_t *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static inline int32_t lg_add32(int32_t *p, int32_t v) { return __atomic_add_fetch(p, v, __ATOMIC_SEQ_CST); }
static inline int64_t lg_add_seq(int64_t *p, int64_t v) { return __atomic_add_fetch(p, v, __ATOMIC_SEQ_CST); }
static inline int64_t lg_load_seq(const int64_t *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static inline void lg_store_seq(int64_t *p, int64_t v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }
