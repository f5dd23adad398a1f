/* libmodelseal: everything in one include. */
#ifndef MODELSEAL_MODELSEAL_H
#define MODELSEAL_MODELSEAL_H

#include "modelseal/blob.h"
#include "modelseal/bundle.h"
#include "modelseal/cache.h"
#include "modelseal/claims.h"
#include "modelseal/dataset.h"
#include "modelseal/dsse.h"
#include "modelseal/error.h"
#include "modelseal/export.h"
#include "modelseal/hash.h"
#include "modelseal/key.h"
#include "modelseal/lineage.h"
#include "modelseal/manifest.h"
#include "modelseal/policy.h"
#include "modelseal/provenance.h"
#include "modelseal/sbom.h"
#include "modelseal/sign.h"
#include "modelseal/sigstore.h"
#include "modelseal/sigstore_sign.h"
#include "modelseal/statement.h"
#include "modelseal/verify.h"
#include "modelseal/version.h"
#include "modelseal/x509.h"

#endif
