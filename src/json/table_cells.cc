#include "json/table_cells.h"
