// Preloaded after libasan.so. With GCC, -fsanitize=address,undefined runs libubsan as an ASan
// "plugin", which parses UBSAN_OPTIONS but never applies log_path: UBSan reports always go to
// stderr (and are lost when a test captures a child's stderr). This constructor loads libubsan
// early and points its report file at the log_path given in UBSAN_OPTIONS (<log_path>.<pid>).
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

__attribute__((constructor)) static void ubsan_log_path(void) {
  const char* opts = getenv("UBSAN_OPTIONS");
  const char* at = opts ? strstr(opts, "log_path=") : NULL;
  if (!at) return;
  static char path[4096];
  at += strlen("log_path=");
  size_t n = strcspn(at, ": ");
  if (n == 0 || n >= sizeof path) return;
  memcpy(path, at, n);
  path[n] = 0;
  void* h = dlopen("libubsan.so.1", RTLD_NOW | RTLD_GLOBAL);
  void (*set)(const char*) = h ? (void (*)(const char*))dlsym(h, "__sanitizer_set_report_path") : NULL;
  if (set) set(path);
}
