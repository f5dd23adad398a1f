/* MS_API: what libmodelseal exports.
 *
 * The library is compiled with -fvisibility=hidden and -DMS_BUILDING_LIBRARY: a function is
 * exported from the shared library only when its declaration in an installed header carries
 * MS_API. Everything else, util/ and hash/ helpers included, is internal whatever its name.
 * `make check` compares the exported symbols with these declarations (scripts/check-exports).
 * For a program using the library the macro is empty. */
#ifndef MODELSEAL_EXPORT_H
#define MODELSEAL_EXPORT_H

#if defined(MS_BUILDING_LIBRARY) && defined(__GNUC__)
#define MS_API __attribute__((visibility("default")))
#else
#define MS_API
#endif

#endif
