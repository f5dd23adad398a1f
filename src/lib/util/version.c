/* The library's version, from configure. */
#include "config.h"

#include "modelseal/version.h"

const char *ms_version(void)
{
    return PACKAGE_VERSION;
}
