/* LAPACK's ILAENV calls this libgfortran routine; Debian's libgfortran.a cannot be linked into a
   shared object (TLS relocations), so this is the one symbol we provide ourselves. */
#include <string.h>

void _gfortran_concat_string(long destlen, char *dest, long len1, const char *s1, long len2, const char *s2) {
  if (len1 >= destlen) {
    memcpy(dest, s1, (size_t)destlen);
    return;
  }
  memcpy(dest, s1, (size_t)len1);
  destlen -= len1;
  dest += len1;
  if (len2 >= destlen) {
    memcpy(dest, s2, (size_t)destlen);
    return;
  }
  memcpy(dest, s2, (size_t)len2);
  memset(dest + len2, ' ', (size_t)(destlen - len2));
}
