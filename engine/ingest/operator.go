package ingest

import "strings"

// operatorID turns a source's operator name or code ("Beeline UZ",
// "ucell_uz", "MegaFon Tajikistan", "Babilon-M") into Qorovul's operator id
// ("beeline", "ucell", "megafon", "babilon-m") and the country a suffix in
// the name gives, or else the operator's home country when it has only one.
func operatorID(name string) (id, country string) {
	s := strings.ToLower(strings.TrimSpace(name))
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '_' || r == '.' {
			return '-'
		}
		return r
	}, s)
	for _, sfx := range []struct{ text, country string }{
		{"-uzbekistan", "UZ"}, {"-uz", "UZ"}, {"-tajikistan", "TJ"}, {"-tj", "TJ"},
		{"-russia", "RU"}, {"-ru", "RU"}, {"-kyrgyzstan", "KG"}, {"-kg", "KG"},
		{"-kazakhstan", "KZ"}, {"-kz", "KZ"},
	} {
		if strings.HasSuffix(s, sfx.text) && len(s) > len(sfx.text) {
			s, country = strings.TrimSuffix(s, sfx.text), sfx.country
			break
		}
	}
	switch s {
	case "ums", "mobi-uz":
		s = "mobiuz"
	case "uz-mobile", "uzbektelecom":
		s = "uzmobile"
	case "babilon", "babilon-mobile":
		s = "babilon-m"
	case "zet", "zet-mobile", "zetmobile":
		s = "zet-mobile"
	case "mega-fon":
		s = "megafon"
	}
	if country == "" {
		country = homeCountry(s)
	}
	return s, country
}

// homeCountry is the one country an operator works in, or "" when it works
// in several (Beeline, MegaFon, MTS) or is not known.
func homeCountry(id string) string {
	switch id {
	case "ucell", "mobiuz", "uzmobile", "humans", "perfectum":
		return "UZ"
	case "tcell", "babilon-m", "zet-mobile":
		return "TJ"
	}
	return ""
}

// isMobileOperator reports whether id is a mobile operator of the corridor,
// so that a payment to it is a recharge of a phone number.
func isMobileOperator(id string) bool {
	switch id {
	case "beeline", "ucell", "mobiuz", "uzmobile", "humans", "perfectum",
		"tcell", "megafon", "babilon-m", "zet-mobile", "mts", "tele2", "yota":
		return true
	}
	return false
}
