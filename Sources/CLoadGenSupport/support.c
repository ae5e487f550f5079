#include "CLoadGenSupport.h"
