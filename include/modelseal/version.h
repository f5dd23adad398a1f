/* The library version. */
#ifndef MODELSEAL_VERSION_H
#define MODELSEAL_VERSION_H

#ifdef __cplusplus
extern "C" {
#endif

/* The version string, e.g. "0.1.0". */
const char *ms_version(void);

#ifdef __cplusplus
}
#endif
#endif
