// C++20's std::barrier (libstdc++ or libc++, whichever the compiler uses), behind a C interface
// so that the runner's own threads and loop drive it like the other barriers.
#include <barrier>
#include <cstddef>

extern "C" {
void *syncpoint_cxx_barrier_new(std::ptrdiff_t n) { return new std::barrier<>(n); }
void syncpoint_cxx_barrier_wait(void *barrier) {
    static_cast<std::barrier<> *>(barrier)->arrive_and_wait();
}
void syncpoint_cxx_barrier_free(void *barrier) { delete static_cast<std::barrier<> *>(barrier); }
}
