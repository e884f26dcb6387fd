// SPDX-License-Identifier: GPL-2.0-or-later
// Fault injection for test/lifecycle/boundary.test.ts (LD_PRELOAD): pthread_create fails with
// EAGAIN, as when the system is out of threads, while NFTJS_FAIL_PTHREAD is set in the
// environment; otherwise it is the real one.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

typedef int (*create_fn)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);

int pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*), void* arg) {
  if (getenv("NFTJS_FAIL_PTHREAD") != NULL) return EAGAIN;
  create_fn real = (create_fn)dlsym(RTLD_NEXT, "pthread_create");
  if (real == NULL) return EAGAIN;
  return real(thread, attr, start, arg);
}
