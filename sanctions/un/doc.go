// Package un reads the UN Security Council consolidated sanctions list (XML, as published at
// scsanctions.un.org) and maps it to sanctions.Entity: individuals and entities with their
// aliases (quality "Low" as weak), NAME_ORIGINAL_SCRIPT names, dates of birth (exact,
// approximate and year ranges), nationalities and the list type as program.
package un
