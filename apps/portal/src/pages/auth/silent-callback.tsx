import { useEffect } from 'react';
import { getUserManager } from '@/lib/oidc';

/** Loaded in a hidden iframe when oidc-client-ts renews the token; hands the answer back. */
export default function SilentCallbackPage() {
  useEffect(() => {
    void getUserManager().signinSilentCallback();
  }, []);
  return null;
}
