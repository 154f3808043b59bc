// Signature rules for known droppers and stealers (YARA-X). Each rule's meta gives the finding:
// category, severity, why, fix. Written for skillyard; patterns describe behaviour families
// seen in skill-marketplace campaigns and commodity stealers, not specific samples.

rule eicar_test_file {
  meta:
    category = "SC3" severity = "critical"
    why = "the EICAR anti-virus test string: scanners treat it as malware"
    fix = "remove it"
  strings:
    $e = "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
  condition:
    $e
}

rule macos_fake_password_prompt {
  meta:
    category = "E2" severity = "critical"
    why = "shows a fake macOS password dialog (osascript) and handles keychain, browser or wallet data: the AMOS stealer pattern"
    fix = "remove it"
  strings:
    $dlg = /osascript[^\n]{0,200}display dialog[^\n]{0,200}(password|hidden answer)/ nocase
    $k1 = "find-generic-password" nocase
    $k2 = "dump-keychain" nocase
    $k3 = "login.keychain" nocase
    $b1 = "Login Data"
    $b2 = "Cookies"
    $w1 = "wallet" nocase
    $n1 = /curl[^\n]{0,120}(-F|-d|--data|-T)\s/
  condition:
    $dlg and (any of ($k*) or any of ($b*) or $w1 or $n1)
}

rule browser_credential_stealer {
  meta:
    category = "E2" severity = "critical"
    why = "collects browser password, cookie or key databases and has a way to send them out"
    fix = "remove it"
  strings:
    $f1 = "Login Data"
    $f2 = "Local State"
    $f3 = "logins.json"
    $f4 = "key4.db"
    $f5 = "cookies.sqlite"
    $f6 = "Web Data"
    $f7 = /(Chrome|Chromium|Brave|Edge)[^\n]{0,80}Cookies/
    $n1 = /https?:\/\//
    $n2 = "requests.post"
    $n3 = /curl[^\n]{0,120}(-F|-d|--data|-T)\s/
    $n4 = "sendDocument"
    $n5 = "urlopen"
  condition:
    2 of ($f*) and any of ($n*)
}

rule crypto_wallet_stealer {
  meta:
    category = "E2" severity = "critical"
    why = "targets several cryptocurrency wallets (files or browser-extension ids)"
    fix = "remove it"
  strings:
    $w1 = "wallet.dat"
    $w2 = "nkbihfbeogaeaoehlefnkodbefgpgknn"
    $w3 = "bfnaelmomeimhlpmgjnjophhpkkoljpa"
    $w4 = "hnfanknocfeofbddgcijnmhnfnkdnaad"
    $w5 = ".ethereum/keystore"
    $w6 = "Exodus/exodus.wallet"
    $w7 = ".electrum/wallets"
    $w8 = "solana/id.json"
    $w9 = "ejbalbakoplchlghecdalmeeeajnimhm"
  condition:
    3 of them
}

rule discord_token_grabber {
  meta:
    category = "E2" severity = "critical"
    why = "reads Discord's local storage for session tokens"
    fix = "remove it"
  strings:
    $d = "discord" nocase
    $l = /Local Storage.{1,2}leveldb/
    $t = /\[\\w-\]\{24\}\\\.\[\\w-\]\{6\}/
    $m = "mfa\\.[" nocase
  condition:
    $d and $l and ($t or $m or #d > 2)
}

rule telegram_exfiltration {
  meta:
    category = "E1" severity = "high"
    why = "uploads files or collected data to a Telegram bot"
    fix = "remove it"
  strings:
    $api = /api\.telegram\.org\/bot[^\s\/]*\/sendDocument/
    $c1 = ".ssh/" $c2 = ".aws/credentials" $c3 = "Login Data" $c4 = "wallet.dat"
    $c5 = "Local State" $c6 = "/proc/self/environ" $c7 = "keychain" nocase
  condition:
    $api and any of ($c*)
}

rule windows_hidden_download_exec {
  meta:
    category = "SC2" severity = "critical"
    why = "hidden PowerShell or a Windows download utility fetches and runs a payload (ClickFix / LOLBin pattern)"
    fix = "remove it"
  strings:
    $p1 = /powershell(\.exe)?[^\n]{0,80}-(w|windowstyle)\s+hidden[^\n]{0,200}(iex|invoke-expression|downloadstring|downloadfile|-enc|-e\s)/ nocase
    $l1 = /certutil(\.exe)?\s+[^\n]{0,40}-urlcache[^\n]{0,40}-f\s+https?:/ nocase
    $l2 = /mshta(\.exe)?\s+["']?https?:/ nocase
    $l3 = /bitsadmin(\.exe)?\s+\/transfer[^\n]{0,200}https?:/ nocase
    $l4 = /regsvr32(\.exe)?[^\n]{0,40}\/i:https?:/ nocase
  condition:
    any of them
}

rule macos_quarantine_dropper {
  meta:
    category = "SC2" severity = "critical"
    why = "downloads a file, strips macOS quarantine and makes it executable: a dropper sequence"
    fix = "install signed software through a package manager"
  strings:
    $dl = /(curl|wget)\s[^\n]{0,200}(-o|-O|--output)\s/
    $x = /xattr\s+-\w*[cdr]\w*/
    $c = "chmod +x"
  condition:
    $dl and $x and $c
}
