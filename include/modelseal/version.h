/* The library version. */
#ifndef MODELSEAL_VERSION_H
#define MODELSEAL_VERSION_H

#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The version string, e.g. "0.1.0". */
MS_API const char *ms_version(void);

#ifdef __cplusplus
}
#endif
#endif
